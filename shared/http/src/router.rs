//! Each route declared once. The `#[utoipa::path]` on a handler names its method, path, role
//! (the security requirement), query parameters and answers; `route!` pairs that declaration
//! with the handler. The function's router, the local gateway and the OpenAPI document all read
//! the same `Routes`, so no route is written down anywhere else in the code.
//!
//! Routing matches as API Gateway's HTTP API does: the method first, then the most specific
//! path, so `GET /remediation-actions/undo` is the action `undo`, not `POST`'s literal route.

use std::future::Future;
use std::pin::Pin;

use http::{HeaderMap, Method};
use serde::de::DeserializeOwned;
use utoipa::__dev::{SchemaReferences, Tags};
use utoipa::openapi::path::{HttpMethod, Operation, ParameterIn};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

use riskfeedback::auth::Caller;
use riskfeedback::errors::Invalid;
use riskfeedback::idempotency::validate_idempotency_key;
use riskfeedback::limits::MAX_TEXT_LEN;
use riskfeedback::role::Role;
use riskfeedback::validate::check_id;

use crate::{json_body, segments, HttpError, HttpResponse, Query};

pub type RouteResult = Result<HttpResponse, HttpError>;

/// A path's parameters, by name, decoded.
type Params = Vec<(String, String)>;

/// A handler over its function's `App`; `route!` makes one from an `async fn(&App, Call)`.
pub type Handler<A> =
    for<'a> fn(&'a A, Call) -> Pin<Box<dyn Future<Output = RouteResult> + Send + 'a>>;

/// The schemas an operation refers to, for the document's components.
pub type SchemaRefs = fn(&mut Vec<(String, RefOr<Schema>)>);

/// `route!(module::handler)`: the route `#[utoipa::path]` declares on `handler`, served by it.
#[macro_export]
macro_rules! route {
    ($module:ident :: $handler:ident) => {
        $crate::paste::paste! {
            $crate::router::Route::new::<$module::[<__path_ $handler>]>(|app, call| {
                ::std::boxed::Box::pin($module::$handler(app, call))
            })
        }
    };
}

pub struct Route<A> {
    pub methods: Vec<Method>,
    /// The path template, `{name}` for each parameter, as in the document.
    pub path: String,
    /// Its segments, split once.
    template: Vec<String>,
    /// `None` where the declaration names no single known role: the route then refuses every
    /// call (`500`) rather than serve it unguarded, and the role tests fail.
    pub role: Option<Role>,
    /// The operation's description, for the document. Made on demand: a function needs only
    /// what `new` takes from it, not the description itself.
    pub operation: fn() -> Operation,
    pub schemas: SchemaRefs,
    query: Vec<String>,
    handler: Handler<A>,
}

impl<A> Route<A> {
    pub fn new<P>(handler: Handler<A>) -> Self
    where
        P: utoipa::Path + SchemaReferences + Tags<'static>,
    {
        let operation = described::<P>();
        let path = P::path();
        Route {
            methods: P::methods().into_iter().map(method).collect(),
            template: path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            path,
            role: match declared_roles(&operation).as_slice() {
                [role] => Some(*role),
                _ => None,
            },
            query: operation
                .parameters
                .iter()
                .flatten()
                .filter(|p| p.parameter_in == ParameterIn::Query)
                .map(|p| p.name.clone())
                .collect(),
            operation: described::<P>,
            schemas: P::schemas,
            handler,
        }
    }

    /// The path parameters, by name, if `segments` (decoded, without empty ones) are this
    /// route's path.
    fn matches(&self, segments: &[String]) -> Option<Params> {
        if self.template.len() != segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (part, segment) in self.template.iter().zip(segments) {
            match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => params.push((name.to_string(), segment.clone())),
                None if part == segment => {}
                None => return None,
            }
        }
        Some(params)
    }

    /// How literal the route is: API Gateway prefers the route with the most literal segments.
    fn literals(&self) -> usize {
        self.template.iter().filter(|s| !s.starts_with('{')).count()
    }
}

/// The operation `#[utoipa::path]` declares, with its tags.
fn described<P: utoipa::Path + Tags<'static>>() -> Operation {
    let mut operation = P::operation();
    operation
        .tags
        .get_or_insert_with(Vec::new)
        .extend(P::tags().into_iter().map(str::to_string));
    operation
}

/// The roles an operation's security requirement names.
pub fn declared_roles(operation: &Operation) -> Vec<Role> {
    let value = serde_json::to_value(&operation.security).unwrap_or_default();
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|requirement| requirement.as_object())
        .flat_map(|schemes| schemes.values())
        .filter_map(|scopes| scopes.as_array())
        .flatten()
        .filter_map(|name| name.as_str().and_then(Role::from_name))
        .collect()
}

fn method(method: HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Trace => Method::TRACE,
    }
}

/// One function's routes.
pub struct Routes<A> {
    routes: Vec<Route<A>>,
}

impl<A> Routes<A> {
    pub fn new(routes: Vec<Route<A>>) -> Self {
        Routes { routes }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Route<A>> {
        self.routes.iter()
    }

    /// The route `method` and `path` name, and its parameters.
    fn find(&self, method: &Method, path: &str) -> Result<(&Route<A>, Params), HttpError> {
        let segments = segments(path)?;
        self.routes
            .iter()
            .filter(|route| route.methods.contains(method))
            .filter_map(|route| Some((route, route.matches(&segments)?)))
            .max_by_key(|(route, _)| route.literals())
            .ok_or_else(|| HttpError::RouteNotFound {
                method: method.to_string(),
                path: path.chars().take(MAX_TEXT_LEN).collect(),
            })
    }

    /// How literal the route `method` and `path` name is (its literal segments), if there is
    /// one: API Gateway sends a request to the most literal route of the whole API, whichever
    /// function serves it.
    pub fn literals_of(&self, method: &Method, path: &str) -> Option<usize> {
        self.find(method, path)
            .ok()
            .map(|(route, _)| route.literals())
    }

    /// The methods of the routes whose path is `path`, whatever the method asked.
    pub fn methods_of(&self, path: &str) -> Vec<Method> {
        let Ok(segments) = segments(path) else {
            return Vec::new();
        };
        self.routes
            .iter()
            .filter(|route| route.matches(&segments).is_some())
            .flat_map(|route| route.methods.iter().cloned())
            .collect()
    }

    /// Serves a request from `caller`: route, role, query, then the handler. In that order, so
    /// that a caller without the role learns nothing from validation.
    pub async fn serve(&self, app: &A, caller: Caller, request: Request) -> RouteResult {
        let (route, params) = self.find(&request.method, &request.path)?;
        let role = route.role.ok_or(HttpError::Internal)?;
        caller.require(role)?;
        let declared: Vec<&str> = route.query.iter().map(String::as_str).collect();
        let query = Query::parse(&request.query, &declared)?;
        let call = Call {
            caller,
            path: request.path,
            params,
            query,
            headers: request.headers,
            body: request.body,
        };
        (route.handler)(app, call).await
    }
}

/// A request as the router needs it, whatever carried it.
pub struct Request {
    pub method: Method,
    pub path: String,
    /// Every decoded query parameter, repeated names included, so duplicates can be refused.
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// What a handler gets: a caller with the route's role, the route's path parameters, and a
/// query string of only the parameters the route declares.
pub struct Call {
    pub caller: Caller,
    /// The path called, as it came: what links in an answer are made from.
    pub path: String,
    pub query: Query,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    params: Params,
}

impl Call {
    /// The path parameter `name`, a valid id.
    pub fn id(&self, name: &str) -> Result<&str, HttpError> {
        let (_, value) = self
            .params
            .iter()
            .find(|(n, _)| n == name)
            .ok_or(HttpError::Internal)?;
        check_id(name, value)?;
        Ok(value)
    }

    /// The JSON body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        json_body(&self.headers, &self.body)
    }

    /// The caller's `Idempotency-Key`, if it sent a valid one.
    pub fn idempotency_key(&self) -> Result<Option<&str>, Invalid> {
        match self.headers.get("idempotency-key") {
            Some(value) => {
                let key = value
                    .to_str()
                    .map_err(|_| Invalid::field("Idempotency-Key", "must be visible ASCII"))?;
                validate_idempotency_key(key)?;
                Ok(Some(key))
            }
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use http::StatusCode;
    use riskfeedback::auth::Actor;
    use riskfeedback::auth::AuthError;

    use super::*;
    use crate::json;

    struct App;

    mod things {
        use super::*;

        #[utoipa::path(get, path = "/things", params(("limit" = Option<u32>, Query)),
            responses((status = 200)), security(("jwt" = ["Risk.Read"])))]
        pub async fn list_things(_: &App, call: Call) -> RouteResult {
            Ok(json(StatusCode::OK, &call.query.get("limit")))
        }

        #[utoipa::path(get, path = "/things/{thingId}",
            responses((status = 200)), security(("jwt" = ["Risk.Read"])))]
        pub async fn get_thing(_: &App, call: Call) -> RouteResult {
            Ok(json(StatusCode::OK, &call.id("thingId")?))
        }

        #[utoipa::path(post, path = "/things/undo",
            responses((status = 200)), security(("jwt" = ["Remediation.Manage"])))]
        pub async fn undo_things(_: &App, _: Call) -> RouteResult {
            Ok(json(StatusCode::OK, &"undone"))
        }

        #[utoipa::path(get, path = "/unguarded", responses((status = 200)))]
        pub async fn unguarded(_: &App, _: Call) -> RouteResult {
            Ok(json(StatusCode::OK, &"served"))
        }
    }

    fn routes() -> Routes<App> {
        Routes::new(vec![
            route!(things::list_things),
            route!(things::get_thing),
            route!(things::undo_things),
            route!(things::unguarded),
        ])
    }

    fn caller(roles: &[Role]) -> Caller {
        Caller {
            tenant_id: "contoso".to_string(),
            actor: Actor {
                id: "analyst".to_string(),
                display_name: None,
            },
            roles: roles.iter().copied().collect(),
        }
    }

    async fn serve(
        roles: &[Role],
        method: Method,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<String, HttpError> {
        let request = Request {
            method,
            path: path.to_string(),
            query: query
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            headers: HeaderMap::new(),
            body: Vec::new(),
        };
        let response = routes().serve(&App, caller(roles), request).await?;
        Ok(String::from_utf8_lossy(response.body()).into_owned())
    }

    #[tokio::test]
    async fn the_method_is_matched_first_then_the_most_literal_path() {
        let read = [Role::RiskRead, Role::RemediationManage];
        assert_eq!(
            serve(&read, Method::GET, "/things/undo", &[]).await,
            Ok("\"undo\"".into())
        );
        assert_eq!(
            serve(&read, Method::POST, "/things/undo", &[]).await,
            Ok("\"undone\"".into())
        );
        assert_eq!(
            serve(&read, Method::GET, "/things/", &[]).await,
            Ok("null".into())
        );
        assert_eq!(
            serve(&read, Method::GET, "/things/a%2Fb", &[]).await,
            Ok("\"a/b\"".into())
        );
        for (method, path) in [
            (Method::POST, "/things/x"),
            (Method::GET, "/things/x/y"),
            (Method::DELETE, "/things"),
        ] {
            assert_eq!(
                serve(&read, method.clone(), path, &[]).await,
                Err(HttpError::RouteNotFound {
                    method: method.to_string(),
                    path: path.to_string()
                })
            );
        }
    }

    #[tokio::test]
    async fn the_declared_role_is_required_and_a_route_that_declares_none_serves_no_one() {
        assert_eq!(
            serve(&[Role::RiskFeedback], Method::GET, "/things/1", &[]).await,
            Err(AuthError::Forbidden(Role::RiskRead).into())
        );
        assert_eq!(
            serve(&[Role::RiskRead], Method::POST, "/things/undo", &[]).await,
            Err(AuthError::Forbidden(Role::RemediationManage).into())
        );
        assert_eq!(
            serve(&Role::ALL, Method::GET, "/unguarded", &[]).await,
            Err(HttpError::Internal)
        );
    }

    #[tokio::test]
    async fn only_the_declared_query_parameters_are_taken() {
        let read = [Role::RiskRead];
        assert_eq!(
            serve(&read, Method::GET, "/things", &[("limit", "5")]).await,
            Ok("\"5\"".into())
        );
        for query in [
            &[("cursor", "x")][..],
            &[("limit", "5"), ("limit", "6")][..],
        ] {
            assert!(matches!(
                serve(&read, Method::GET, "/things", query).await,
                Err(HttpError::Invalid(_))
            ));
        }
        assert!(matches!(
            serve(&read, Method::GET, "/things/1", &[("limit", "5")]).await,
            Err(HttpError::Invalid(_))
        ));
    }

    #[test]
    fn a_path_names_the_methods_of_every_route_it_is() {
        let routes = routes();
        assert_eq!(
            routes.methods_of("/things/undo"),
            vec![Method::GET, Method::POST]
        );
        assert_eq!(routes.methods_of("/things"), vec![Method::GET]);
        assert_eq!(routes.methods_of("/nothing"), Vec::<Method>::new());
    }

    #[test]
    fn a_path_id_is_checked_as_an_id() {
        let call = Call {
            caller: caller(&[]),
            path: "/things/x".to_string(),
            query: Query::default(),
            headers: HeaderMap::new(),
            body: Vec::new(),
            params: vec![("thingId".to_string(), "\u{7}".to_string())],
        };
        assert!(matches!(call.id("thingId"), Err(HttpError::Invalid(_))));
        assert_eq!(call.id("otherId"), Err(HttpError::Internal));
    }
}
