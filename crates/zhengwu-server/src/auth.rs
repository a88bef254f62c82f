//! Who is asking: every handler that needs to know takes a [`Caller`] — staff signed in with a
//! session cookie, an integration with an API token (`Authorization: Bearer …`), or nobody.
//! Handlers declare what they require with [`Caller::require`], and answer out-of-scope reads
//! with 404 (not revealing that the record exists) via [`Caller::can_see`].

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use chrono::{Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use zhengwu_core::roles::Role;
use zhengwu_core::secret::{self, token_digest};
use zhengwu_store::StoreError;
use zhengwu_store::audit::Actor;
use zhengwu_store::identity::{self, Grant, StaffMember, Token};

use crate::error::ApiError;
use crate::startup::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "zw_session";

/// Who is asking.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Caller {
    Anonymous,
    Staff(StaffMember),
    Token(Token),
    /// A citizen signed in with a code sent by SMS, with the enterprises they act for.
    Applicant(zhengwu_store::applicants::Applicant),
}

/// The applicant session cookie's name.
pub const APPLICANT_COOKIE: &str = "zw_applicant";

/// The caller's network address (the peer; a proxy's forwarded header is not trusted).
#[derive(Debug, Clone)]
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}

/// The value of a cookie in the request.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token"))?;
            return match identity::find_token(state.db.conn(), &token_digest(token)).await? {
                Some(t) => Ok(Self::Token(t)),
                None => Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token")),
            };
        }
        if let Some(sid) = cookie(&parts.headers, SESSION_COOKIE) {
            let digest = token_digest(sid);
            let idle =
                Duration::from_std(state.config.session.idle).unwrap_or(Duration::minutes(30));
            // On SQLite, on the calling thread (zhengwu_store::sql): every request asks this.
            if let Some(s) =
                identity::session_staff(&state.db.read()?, &digest, Utc::now(), idle).await?
            {
                return Ok(Self::Staff(s));
            }
        }
        if let Some(sid) = cookie(&parts.headers, APPLICANT_COOKIE) {
            let idle =
                Duration::from_std(state.config.session.idle).unwrap_or(Duration::minutes(30));
            if let Some(a) = zhengwu_store::applicants::session_applicant(
                state.db.conn(),
                &token_digest(sid),
                Utc::now(),
                idle,
            )
            .await?
            {
                return Ok(Self::Applicant(a));
            }
        }
        Ok(Self::Anonymous)
    }
}

impl Caller {
    pub fn grants(&self) -> Vec<&Grant> {
        match self {
            Self::Anonymous | Self::Applicant(_) => Vec::new(),
            Self::Staff(s) => s.grants.iter().collect(),
            Self::Token(t) => vec![&t.grant],
        }
    }

    /// 401 when nobody is signed in, 403 when the caller holds none of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if matches!(self, Self::Anonymous) {
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated"));
        }
        if self.grants().iter().any(|g| roles.contains(&g.role)) {
            Ok(())
        } else {
            Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"))
        }
    }

    /// Whether the caller holds one of `roles` with a scope that contains the unit at
    /// `unit_path` (an organisation path such as `/1/4/17/`).
    pub fn can_see(&self, roles: &[Role], unit_path: &str) -> bool {
        self.grants()
            .iter()
            .any(|g| roles.contains(&g.role) && unit_path.starts_with(&g.scope_path))
    }

    /// The units the caller may see through one of `roles`: a list query restricts itself
    /// with it (`zhengwu_store::scope::within`).
    pub fn scope(&self, roles: &[Role]) -> zhengwu_store::scope::Scope {
        zhengwu_store::scope::Scope::from_paths(
            self.grants()
                .iter()
                .filter(|g| roles.contains(&g.role))
                .map(|g| g.scope_path.clone()),
            None,
        )
    }

    /// A name for people reading a record of what the caller did: a username, a token's
    /// name, an applicant's name.
    pub fn label(&self) -> String {
        match self {
            Self::Anonymous => String::from("anonymous"),
            Self::Staff(s) => s.username.clone(),
            Self::Token(t) => t.name.clone(),
            Self::Applicant(a) => a.citizen.name.clone(),
        }
    }

    /// Who this caller is in the audit trail.
    pub fn actor(&self, ip: &ClientIp) -> Actor {
        let (kind, id) = match self {
            Self::Anonymous => ("anonymous", None),
            Self::Staff(s) => ("staff", Some(s.id.get())),
            Self::Token(t) => ("token", Some(t.id.get())),
            Self::Applicant(a) => ("applicant", Some(a.citizen.id)),
        };
        Actor {
            kind,
            id,
            label: self.label(),
            ip: ip.0.clone(),
        }
    }
}

/// The `Set-Cookie` value of a session cookie (an empty value and 0 clear it).
pub fn session_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    named_cookie(state, SESSION_COOKIE, value, max_age)
}

/// The `Set-Cookie` value of an HttpOnly, SameSite=Lax cookie.
pub fn named_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.session.secure_cookie {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("zw_session=; Path=/; Max-Age=0"))
}

/// Checks a username and password, counts failures (the fifth in a row locks the account),
/// and opens a session: the member of staff and the session cookie to set. One function for
/// the API and the login page.
pub async fn log_in(
    state: &AppState,
    ip: &ClientIp,
    user_agent: Option<String>,
    username: &str,
    password: String,
) -> Result<(StaffMember, HeaderValue), ApiError> {
    let wrong = || ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials");
    if username.len() > 64 || password.chars().count() > secret::MAX_PASSWORD_CHARS {
        return Err(wrong());
    }
    let record = identity::find_for_login(state.db.conn(), username).await?;
    let hash = record.as_ref().map_or_else(
        || secret::dummy_hash().to_owned(),
        |r| r.password_hash.clone(),
    );
    // Hashing is slow on purpose: off the async threads. An unknown username costs the same.
    let matches = tokio::task::spawn_blocking(move || secret::verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::internal(e.into()))?;
    let Some(record) = record else {
        return Err(wrong());
    };
    let now = Utc::now();
    let actor = Actor {
        kind: "staff",
        id: Some(record.id.get()),
        label: username.trim().to_owned(),
        ip: ip.0.clone(),
    };
    if record.locked_until.is_some_and(|t| t > now) {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "account_locked"));
    }
    if !matches || !record.active {
        let tx = state.db.begin_write().await.map_err(StoreError::from)?;
        let locked = identity::record_failed_login(&tx, &actor, record.id, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        return Err(if locked {
            ApiError::new(StatusCode::UNAUTHORIZED, "account_locked")
        } else {
            wrong()
        });
    }
    let token =
        secret::new_token("zws_").map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
    let absolute = Duration::from_std(state.config.session.absolute).unwrap_or(Duration::hours(12));
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    identity::open_session(
        &tx,
        &actor,
        record.id,
        &token_digest(&token),
        now,
        absolute,
        user_agent,
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    let member = identity::get_staff(state.db.conn(), record.id).await?;
    Ok((
        member,
        session_cookie(state, &token, absolute.num_seconds()),
    ))
}

/// Ends the staff session of the request (if any): the cookie that clears it. One function for
/// the API and the console.
pub async fn log_out(
    state: &AppState,
    caller: &Caller,
    ip: &ClientIp,
    headers: &axum::http::HeaderMap,
) -> Result<HeaderValue, ApiError> {
    if let Some(sid) = cookie(headers, SESSION_COOKIE) {
        let digest = token_digest(sid);
        let tx = state.db.begin_write().await.map_err(StoreError::from)?;
        identity::close_session(&tx, &caller.actor(ip), &digest).await?;
        tx.commit().await.map_err(StoreError::from)?;
    }
    Ok(session_cookie(state, "", 0))
}

/// A new six-digit sign-in code.
fn new_code() -> Result<String, ApiError> {
    let n = secret::random_hex(4).map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
    Ok(format!(
        "{:06}",
        u32::from_str_radix(&n, 16).unwrap_or_default() % 1_000_000
    ))
}

/// Sends an applicant a sign-in code through the outbox (rate-limited by the store: a
/// `RateLimited` error says when to try again). One function for the API and the pages.
pub async fn send_sign_in_code(
    state: &AppState,
    mobile: &zhengwu_core::ident::Mobile,
) -> Result<(), ApiError> {
    let code = new_code()?;
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let sink = crate::notify::default_sink(&state.config);
    zhengwu_store::applicants::issue_code(&tx, mobile, &code, sink, Utc::now()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    state.outbox_wake.notify_one();
    Ok(())
}

/// Checks an applicant's code (a failed try is counted) and opens an applicant session: its
/// token and the cookie to set; 401 `invalid_code` for a wrong or expired code.
pub async fn applicant_sign_in(
    state: &AppState,
    mobile: &zhengwu_core::ident::Mobile,
    code: &str,
) -> Result<(String, HeaderValue), ApiError> {
    let now = Utc::now();
    let tx = state.db.begin_write().await.map_err(StoreError::from)?;
    let citizen = match zhengwu_store::applicants::verify_code(&tx, mobile, code, now).await {
        Ok(c) => c,
        Err(StoreError::Invalid { .. }) => {
            tx.commit().await.map_err(StoreError::from)?;
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_code"));
        }
        Err(e) => return Err(e.into()),
    };
    let token =
        secret::new_token("zwa_").map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
    let absolute = Duration::from_std(state.config.session.absolute).unwrap_or(Duration::hours(12));
    zhengwu_store::applicants::open_session(&tx, citizen, &token_digest(&token), now, absolute)
        .await?;
    tx.commit().await.map_err(StoreError::from)?;
    let cookie = named_cookie(state, APPLICANT_COOKIE, &token, absolute.num_seconds());
    Ok((token, cookie))
}

/// Ends the applicant session of the request (if any): the cookie that clears it.
pub async fn applicant_sign_out(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<HeaderValue, ApiError> {
    if let Some(sid) = cookie(headers, APPLICANT_COOKIE) {
        let tx = state.db.begin_write().await.map_err(StoreError::from)?;
        zhengwu_store::applicants::close_session(&tx, &token_digest(sid)).await?;
        tx.commit().await.map_err(StoreError::from)?;
    }
    Ok(named_cookie(state, APPLICANT_COOKIE, "", 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhengwu_core::ids::{StaffId, UnitId};

    fn staff(grants: &[(Role, &str)]) -> Caller {
        Caller::Staff(StaffMember {
            id: StaffId(1),
            username: "u".into(),
            display_name: "u".into(),
            active: true,
            locked_until: None,
            grants: grants
                .iter()
                .map(|(role, path)| Grant {
                    role: *role,
                    scope: UnitId(1),
                    scope_name: String::new(),
                    scope_path: (*path).to_owned(),
                })
                .collect(),
        })
    }

    #[test]
    fn a_reviewer_sees_their_department_only_and_a_role_elsewhere_does_not_count() {
        let reviewer = staff(&[(Role::DeptReviewer, "/1/5/"), (Role::UnitHandler, "/1/9/")]);
        assert!(reviewer.can_see(&[Role::DeptReviewer], "/1/5/"));
        assert!(reviewer.can_see(&[Role::DeptReviewer], "/1/5/77/"));
        assert!(
            !reviewer.can_see(&[Role::DeptReviewer], "/1/6/"),
            "department B"
        );
        assert!(
            !reviewer.can_see(&[Role::DeptReviewer], "/1/50/"),
            "a path prefix is not a parent"
        );
        assert!(
            !reviewer.can_see(&[Role::DeptReviewer], "/1/9/"),
            "held as another role"
        );
        assert!(reviewer.can_see(&[Role::UnitHandler], "/1/9/3/"));
        let admin = staff(&[(Role::Admin, "/1/")]);
        assert!(admin.can_see(&[Role::Admin], "/1/6/"));
        assert!(!Caller::Anonymous.can_see(&[Role::Admin], "/1/"));
        assert_eq!(
            reviewer.scope(&[Role::DeptReviewer]),
            zhengwu_store::scope::Scope::Paths(vec!["/1/5/".into()])
        );
        assert_eq!(
            Caller::Anonymous.scope(&[Role::Admin]),
            zhengwu_store::scope::Scope::None
        );
    }

    #[test]
    fn require_says_401_to_nobody_and_403_to_the_wrong_role() {
        let clerk = staff(&[(Role::WindowClerk, "/1/2/3/")]);
        assert!(clerk.require(&[Role::WindowClerk]).is_ok());
        assert_eq!(
            clerk.require(&[Role::Admin]).unwrap_err().status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            Caller::Anonymous
                .require(&[Role::Admin])
                .unwrap_err()
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
}
