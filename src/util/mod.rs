//! Small building blocks with no gateway knowledge.

#[cfg(feature = "mimalloc")]
pub mod allocator;
pub mod watched;
