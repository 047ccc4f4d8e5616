//! Every bounded context this binary can run. Adding a context is one line here.

use campus_platform::context::Context;

pub fn all() -> Vec<Context> {
    vec![campus_identity::context(), campus_courses::context()]
}
