//! Client sessions and what the gateway answers itself: `initialize` and session lifecycle.

pub mod initialize;
pub mod store;

pub use store::{Session, SessionStore};
