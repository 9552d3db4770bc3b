//! Feeds of a site found from its home page.
