//! Prints the API's OpenAPI document (`riskfeedback_devstack::openapi`); `scripts/openapi` writes
//! it to `openapi.json`.

fn main() {
    print!("{}", riskfeedback_devstack::openapi::json());
}
