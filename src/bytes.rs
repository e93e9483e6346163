//! Byte comparisons usable in `const fn`s (`==` and `starts_with` on slices are not
//! `const`): the compile-time checks of category names and retention literals share
//! them.

/// Whether `a` and `b` are equal, byte by byte.
pub(crate) const fn eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && starts_with(a, b)
}

/// Whether `a` begins with `prefix`.
pub(crate) const fn starts_with(a: &[u8], prefix: &[u8]) -> bool {
    if a.len() < prefix.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if a[i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `a[at..]` begins with `prefix` (false if `at` is past the end).
pub(crate) const fn eq_at(a: &[u8], at: usize, prefix: &[u8]) -> bool {
    if at > a.len() || a.len() - at < prefix.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if a[at + i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}
