//! Prints a local HS256 token (SPEC 9) for a tenant and roles:
//! `mint-token --tenant contoso --roles Risk.Read,Risk.Feedback [--user alice] [--name Alice] [--ttl 3600]`.

use riskfeedback_devstack::token::{mint, secret, Identity};

fn main() -> Result<(), String> {
    let mut identity = Identity {
        tenant: "contoso".to_string(),
        user: "analyst-1".to_string(),
        name: "Local Analyst".to_string(),
        roles: Vec::new(),
        ttl_seconds: 8 * 3600,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--tenant" => identity.tenant = value,
            "--user" => identity.user = value,
            "--name" => identity.name = value,
            "--roles" => {
                identity.roles = value
                    .split(',')
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_string)
                    .collect()
            }
            "--ttl" => {
                identity.ttl_seconds = value
                    .parse()
                    .map_err(|_| "--ttl takes seconds".to_string())?
            }
            _ => {
                return Err(format!(
                    "unknown option {flag}; options: --tenant --user --name --roles --ttl"
                ))
            }
        }
    }
    if identity.roles.is_empty() {
        return Err(
            "--roles is required, e.g. --roles Risk.Read,Risk.Feedback,Signals.Ingest".to_string(),
        );
    }
    println!("{}", mint(&identity, &secret())?);
    Ok(())
}
