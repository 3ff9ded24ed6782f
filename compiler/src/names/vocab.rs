//! The fixed words the language accepts as values. One list each: the name
//! stage checks programs against them and the IDE layer offers them.

/// `balance` algorithms; the last, `least_conn`, is deprecated (W0204).
pub const BALANCES: [&str; 5] = ["round_robin", "least_request", "random", "passthrough", "least_conn"];

pub const TLS_MODES: [&str; 4] = ["simple", "mutual", "mesh", "off"];

pub const MTLS_MODES: [&str; 3] = ["strict", "permissive", "disable"];

pub const OUTBOUND_MODES: [&str; 2] = ["allow_any", "registry_only"];

pub const RESOLUTIONS: [&str; 4] = ["dns", "dns_round_robin", "static", "none"];

pub const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// Keys of `limits { }` and the type of their value.
pub const LIMIT_KEYS: [(&str, &str); 7] = [
    ("max_connections", "int"),
    ("max_pending", "int"),
    ("max_requests", "int"),
    ("max_requests_per_connection", "int"),
    ("max_retries", "int"),
    ("connect_timeout", "duration"),
    ("idle_timeout", "duration"),
];

/// Keys of `eject { }` and the type of their value.
pub const EJECT_KEYS: [(&str, &str); 6] = [
    ("consecutive_5xx", "int"),
    ("consecutive_gateway_errors", "int"),
    ("interval", "duration"),
    ("base_time", "duration"),
    ("max_percent", "percent"),
    ("min_health", "percent"),
];

/// Envoy's `retry_on` tokens that Istio accepts.
pub const RETRY_ON: [&str; 16] = [
    "5xx",
    "gateway-error",
    "reset",
    "reset-before-request",
    "connect-failure",
    "retriable-4xx",
    "refused-stream",
    "retriable-status-codes",
    "retriable-headers",
    "envoy-ratelimited",
    "http3-post-connect-failure",
    "cancelled",
    "deadline-exceeded",
    "resource-exhausted",
    "internal",
    "unavailable",
];

/// How a program writes a `retry_on` token: `server_error` for `5xx`, `_` for `-`.
pub fn language_retry_name(token: &str) -> String {
    if token == "5xx" {
        "server_error".into()
    } else {
        token.replace('-', "_")
    }
}
