//! What a consent was given to: the declaration of its purpose when it was recorded
//! ([`PurposeScope`]), so that a later release that widens the purpose does not inherit
//! consents given to the narrower one.

use serde::{Deserialize, Serialize};

use crate::category::{CcpaSensitive, Sensitivity};
use crate::condition::{Authorisation, Condition};
use crate::purpose::PurposeInfo;

/// One category a consent covered, with its sensitivity at the time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopedCategory {
    /// The category's dotted name.
    pub name: String,
    /// Ordinary, special (Art. 9) or criminal-offence (Art. 10) data.
    pub sensitivity: Sensitivity,
    /// The CCPA sensitive marking, if any.
    pub ccpa_sensitive: Option<CcpaSensitive>,
}

/// The declaration of a consent purpose a consent was given to, taken from
/// [`Purpose::INFO`](crate::Purpose::INFO) when it was recorded: the categories (with
/// their sensitivity), the Art. 9(2) condition, the Art. 10 authorisation and the
/// children flag. A check refuses the consent
/// ([`ConsentError::PurposeChanged`](super::ConsentError::PurposeChanged)) when the
/// purpose's current declaration uses anything it does not cover; a narrower
/// declaration (fewer categories) keeps it valid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurposeScope {
    /// The categories the purpose used.
    pub categories: Vec<ScopedCategory>,
    /// Its Art. 9(2) condition (the law it names is not part of what the person agreed
    /// to, so it is not kept).
    pub condition: Option<Condition>,
    /// Its Art. 10 authorisation.
    pub art10: Option<Authorisation>,
    /// Whether it processed children's data.
    pub children: bool,
}

impl PurposeScope {
    /// The scope of `info`, the declaration as compiled now.
    pub fn of(info: &PurposeInfo) -> Self {
        PurposeScope {
            categories: info
                .categories
                .iter()
                .map(|c| ScopedCategory {
                    name: c.name.to_owned(),
                    sensitivity: c.sensitivity,
                    ccpa_sensitive: c.ccpa_sensitive,
                })
                .collect(),
            condition: info.condition.map(|c| c.condition),
            art10: info.art10.map(|a| a.authorisation),
            children: info.children,
        }
    }

    /// What `info` uses that this scope does not cover (`None`: it covers it all), in
    /// words for an error message.
    pub fn uncovered(&self, info: &PurposeInfo) -> Option<String> {
        for c in info.categories {
            let covered = self.categories.iter().any(|s| {
                s.name == c.name
                    && s.sensitivity == c.sensitivity
                    && s.ccpa_sensitive == c.ccpa_sensitive
            });
            if !covered {
                return Some(format!("category `{}`", c.name));
            }
        }
        if let Some(c) = info
            .condition
            .filter(|c| Some(c.condition) != self.condition)
        {
            return Some(format!("the condition of {}", c.article()));
        }
        if info
            .art10
            .is_some_and(|a| Some(a.authorisation) != self.art10)
        {
            return Some("another Art. 10 authorisation".to_owned());
        }
        if info.children && !self.children {
            return Some("children's data".to_owned());
        }
        None
    }

    /// What `info` uses beyond what a consent recorded without a scope (before schema
    /// 12) is taken to cover: ordinary categories only, with no CCPA marking, no
    /// condition, no authorisation and no children's data.
    pub(crate) fn uncovered_by_unscoped(info: &PurposeInfo) -> Option<String> {
        if let Some(c) = info
            .categories
            .iter()
            .find(|c| c.sensitivity != Sensitivity::Ordinary || c.ccpa_sensitive.is_some())
        {
            return Some(format!("category `{}`", c.name));
        }
        if let Some(c) = info.condition {
            return Some(format!("the condition of {}", c.article()));
        }
        if info.art10.is_some() {
            return Some("an Art. 10 authorisation".to_owned());
        }
        if info.children {
            return Some("children's data".to_owned());
        }
        None
    }

    /// The canonical bytes the chain's link covers (`docs/consent.md`): the number of
    /// categories (u64 BE), each category's name, sensitivity and CCPA marking (names as
    /// stored, length-prefixed; the marking behind a 0/1 byte), then the condition and
    /// the authorisation (each behind a 0/1 byte) and the children flag (one byte).
    pub(crate) fn encode(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&(self.categories.len() as u64).to_be_bytes());
        for c in &self.categories {
            put_str(buf, &c.name);
            put_str(buf, &name_of(&c.sensitivity));
            put_opt(buf, c.ccpa_sensitive.as_ref().map(name_of));
        }
        put_opt(buf, self.condition.as_ref().map(name_of));
        put_opt(buf, self.art10.as_ref().map(name_of));
        buf.push(u8::from(self.children));
    }
}

/// The stored (serde, snake_case) name of a unit enum value.
fn name_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u64).to_be_bytes());
    buf.extend_from_slice(s.as_bytes());
}

fn put_opt(buf: &mut Vec<u8>, s: Option<String>) {
    match s {
        Some(s) => {
            buf.push(1);
            put_str(buf, &s);
        }
        None => buf.push(0),
    }
}
