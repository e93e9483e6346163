// A backend that implements only `KeyStore` cannot carry a vault: the holds,
// tombstones and sweep watermark the vault's guarantees rest on would have no home.
use custodian::keys::{KeyName, KeyStore, LocalMasterKey, WrappedKey};
use custodian::retention::SubjectRef;
use custodian::store::StoreError;
use custodian::{SubjectId, Vault};

struct KeysOnly;

impl KeyStore for KeysOnly {
    fn get(&self, _: &KeyName) -> Result<Option<WrappedKey>, StoreError> {
        Ok(None)
    }
    fn latest(&self, _: &SubjectId) -> Result<Option<(u32, WrappedKey)>, StoreError> {
        Ok(None)
    }
    fn insert(
        &self,
        _: &KeyName,
        _: &WrappedKey,
        _: Option<&SubjectRef>,
    ) -> Result<Option<WrappedKey>, StoreError> {
        Ok(None)
    }
    fn wrapped_by_other(&self, _: &str, _: usize) -> Result<Vec<(KeyName, WrappedKey)>, StoreError> {
        Ok(Vec::new())
    }
    fn rewrap(&self, _: &str, _: &KeyName, _: &WrappedKey) -> Result<bool, StoreError> {
        Ok(false)
    }
}

fn main() {
    let master = LocalMasterKey::generate("kek").unwrap();
    let _vault = Vault::new(master, KeysOnly);
}
