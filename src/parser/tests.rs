//! Parser tests over the fixture feeds in tests/fixtures/feeds/.

use super::*;
