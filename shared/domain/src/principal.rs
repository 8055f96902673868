//! Principals (SPEC 1): users, and workload identities (service principals, SPEC 3c), each with
//! risk of its own. Both are one aggregate each, keyed by a string that intake, the queue,
//! processing and storage order and store work by: a user's key is its id, a service
//! principal's its id in a namespace of its own. No id holds a control character (SPEC 1), so
//! a service principal's key is never a user's id, and a user and a service principal with the
//! same id never share work, order or storage. Only what the API shows says which it is.

/// What kind of principal an aggregate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PrincipalKind {
    #[default]
    User,
    ServicePrincipal,
}

/// Before a service principal's id in its key: control characters, which no id holds.
const SERVICE_PRINCIPAL: &str = "\u{1}servicePrincipal\u{1}";

/// The aggregate key of the principal `id` of this kind.
pub fn principal_key(kind: PrincipalKind, id: &str) -> String {
    match kind {
        PrincipalKind::User => id.to_string(),
        PrincipalKind::ServicePrincipal => format!("{SERVICE_PRINCIPAL}{id}"),
    }
}

/// Which principal an aggregate key is: its kind and its id.
pub fn principal_of(key: &str) -> (PrincipalKind, &str) {
    match key.strip_prefix(SERVICE_PRINCIPAL) {
        Some(id) => (PrincipalKind::ServicePrincipal, id),
        None => (PrincipalKind::User, key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::is_valid_id;

    #[test]
    fn a_key_names_its_principal_and_no_users_key_is_a_service_principals() {
        for id in [
            "alice",
            "o'brien@contoso.com",
            "99b8d28b-11ae-4e84-9bef-0e767e286grg",
        ] {
            let user = principal_key(PrincipalKind::User, id);
            let app = principal_key(PrincipalKind::ServicePrincipal, id);
            assert_eq!(principal_of(&user), (PrincipalKind::User, id));
            assert_eq!(principal_of(&app), (PrincipalKind::ServicePrincipal, id));
            assert_ne!(user, app);
            assert!(
                !is_valid_id(&app),
                "no user id is a service principal's key"
            );
        }
    }
}
