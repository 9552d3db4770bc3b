//! One feed poll as named steps.
