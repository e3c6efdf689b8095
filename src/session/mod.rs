//! Client sessions and the way back to them: what a session negotiated and holds, the context
//! each call carries, and the routing of everything backends send toward clients.

pub mod call;
pub mod client;
pub mod events;
pub mod initialize;
pub mod listeners;
pub mod log_levels;
pub mod modern;
pub mod outbound;
pub mod progress;
#[allow(clippy::module_inception)]
pub mod session;
pub mod store;
pub mod subscriptions;
pub mod way_back;

pub use call::{CallContext, CallGuard, CallParts, Routed};
pub use modern::{ModernCall, PendingInput};
pub use session::{NewSession, Session, UnknownAnswer};
pub use store::{SessionStore, SessionsFull};
pub use way_back::{BackendRef, Related, WayBack};
