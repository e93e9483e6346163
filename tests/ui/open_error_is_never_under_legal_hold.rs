// An open's error is its own type, holding only what an open can meet: a legal hold
// keeps data (it refuses erasures), so `OpenError` has no `UnderLegalHold` to match,
// and a handler's match on an open needs no arm for it. Nor does a seal's error have
// `Expired`.
use custodian::{OpenError, SealError};

fn status(e: &OpenError) -> u16 {
    match e {
        OpenError::UnderLegalHold { .. } => 409,
        _ => 500,
    }
}

fn sealed(e: &SealError) -> bool {
    matches!(e, SealError::Expired { .. })
}

fn main() {
    let _ = (status, sealed);
}
