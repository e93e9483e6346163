//! Errors collected across the whole input, so one build reports every mistake.

/// Every error found so far, combined into one `syn::Error`.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    /// Adds one error.
    pub fn push(&mut self, e: syn::Error) {
        match self.0.as_mut() {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    /// The errors, if any.
    pub fn finish(self) -> Option<syn::Error> {
        self.0
    }
}
