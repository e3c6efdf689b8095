//! Small building blocks with no gateway knowledge.

pub mod watched;
