//! Server addresses (`--base-url`): what is accepted, and when plain http is allowed.

use super::ProviderKind;
use std::net::IpAddr;

/// A checked server address, with a note for the person when it is plain http on a LAN.
#[derive(Clone, Debug, PartialEq)]
pub struct BaseUrl {
    pub url: url::Url,
    pub note: Option<String>,
}

/// Check a `--base-url`: https anywhere; plain http only on this machine, or on the local
/// network for self-hosted servers (the key would otherwise cross the internet unencrypted).
pub fn check_base_url(kind: ProviderKind, text: &str) -> Result<BaseUrl, String> {
    let url = parse_base_url(text)?;
    if url.scheme() == "https" {
        return Ok(BaseUrl { url, note: None });
    }
    match host_scope(&url) {
        HostScope::Loopback => Ok(BaseUrl { url, note: None }),
        HostScope::Private if kind.allows_lan_http() => Ok(BaseUrl {
            note: Some(format!(
                "{} is on your local network over plain http: the connection is not encrypted.",
                url.host_str().unwrap_or_default()
            )),
            url,
        }),
        _ => Err(format!(
            "'{text}' uses plain http to a computer outside this one{}; use https:// so your key is not sent unencrypted",
            if kind.allows_lan_http() { " and your local network" } else { "" }
        )),
    }
}

enum HostScope {
    Loopback,
    Private,
    Public,
}

fn host_scope(url: &url::Url) -> HostScope {
    match url.host() {
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => HostScope::Loopback,
        Some(url::Host::Domain(d)) if d.ends_with(".local") || d.ends_with(".lan") || !d.contains('.') => HostScope::Private,
        Some(url::Host::Ipv4(ip)) => ip_scope(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => ip_scope(IpAddr::V6(ip)),
        _ => HostScope::Public,
    }
}

fn ip_scope(ip: IpAddr) -> HostScope {
    match ip {
        _ if ip.is_loopback() => HostScope::Loopback,
        IpAddr::V4(v4) if v4.is_private() || v4.is_link_local() => HostScope::Private,
        IpAddr::V6(v6) if (v6.segments()[0] & 0xfe00) == 0xfc00 || (v6.segments()[0] & 0xffc0) == 0xfe80 => HostScope::Private,
        _ => HostScope::Public,
    }
}

/// Check a `--base-url`: http or https, a host, nothing else.
pub fn parse_base_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("'{text}' is not a web address ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("'{text}' must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("'{text}' has no host name"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_for_this_machine_or_a_self_hosted_lan_server() {
        for ok in ["https://modelslab.com", "http://127.0.0.1:7860", "http://localhost:1", "http://[::1]:8080"] {
            assert!(check_base_url(ProviderKind::ModelsLab, ok).is_ok(), "{ok}");
        }
        for refused in ["http://modelslab.com", "http://192.168.1.20:7860", "ftp://x", "file:///etc/passwd", "http://8.8.8.8"] {
            assert!(check_base_url(ProviderKind::ModelsLab, refused).is_err(), "{refused}");
        }
        let lan = check_base_url(ProviderKind::A1111, "http://192.168.1.20:7860").unwrap();
        assert!(lan.note.unwrap().contains("not encrypted"));
        assert!(check_base_url(ProviderKind::A1111, "http://gpu-box.local:7860").is_ok());
        assert!(check_base_url(ProviderKind::A1111, "http://example.com:7860").is_err());
        assert!(check_base_url(ProviderKind::OpenAi, "http://10.0.0.5/v1").is_err());
    }
}
