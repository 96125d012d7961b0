//! Which address a request comes from, for per-address limits and the audit log.
//!
//! Behind a load balancer the TCP peer is the balancer, and the client's address is in
//! `X-Forwarded-For`, which every proxy on the way appends to. Only the entries added by
//! proxies we trust can be believed: the client writes whatever it likes at the left. So
//! when the peer is a trusted proxy, the client is the rightmost entry that is not itself a
//! trusted proxy; when the peer is anyone else, the header is ignored.

use std::convert::Infallible;
use std::net::IpAddr;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

/// The client address the gate found for a request (None when unknown, as in in-process
/// tests without a socket). Also an extractor for handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<ClientIp>()
            .copied()
            .unwrap_or(ClientIp(None)))
    }
}

/// The client address of a request from `peer` with `headers`, given the trusted proxies.
pub fn client_ip(trusted: &[IpNet], peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    // Several headers count as one list, in order (RFC 7230 §3.2.2).
    let mut hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    while let Some(hop) = hops.pop() {
        // A malformed entry was not written by a proxy we trust: stop at what we know.
        let Some(ip) = parse_hop(hop) else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(addr) = hop.parse::<std::net::SocketAddr>() {
        return Some(addr.ip());
    }
    None
}

/// The part of an address that identifies one client for limits: IPv4 as is, IPv6 by its
/// /64 (one subscriber gets a whole /64, so counting single IPv6 addresses would let one
/// client rotate through 2^64 of them).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = client_ip(&trusted, Some(ip("203.0.113.9")), &headers(&["1.1.1.1"]));
        assert_eq!(got, Some(ip("203.0.113.9")));
        assert_eq!(
            client_ip(&[], Some(ip("10.0.0.1")), &headers(&["1.1.1.1"])),
            Some(ip("10.0.0.1"))
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "192.168.0.0/16"]);
        // The client forged the leftmost entries; the proxies appended the rest.
        let h = headers(&["6.6.6.6, 7.7.7.7, 198.51.100.4, 192.168.1.1"]);
        let got = client_ip(&trusted, Some(ip("10.0.0.5")), &h);
        assert_eq!(got, Some(ip("198.51.100.4")));
        // Rotating the forged part changes nothing.
        let h = headers(&["9.9.9.9", "198.51.100.4:5123", "192.168.1.1"]);
        let got = client_ip(&trusted, Some(ip("10.0.0.5")), &h);
        assert_eq!(got, Some(ip("198.51.100.4")));
    }

    #[test]
    fn only_trusted_hops_or_garbage_stop_at_the_last_known_address() {
        let trusted = nets(&["10.0.0.0/8"]);
        let h = headers(&["10.1.1.1, 10.2.2.2"]);
        assert_eq!(
            client_ip(&trusted, Some(ip("10.0.0.5")), &h),
            Some(ip("10.1.1.1"))
        );
        let h = headers(&["1.2.3.4, not-an-ip, 10.2.2.2"]);
        assert_eq!(
            client_ip(&trusted, Some(ip("10.0.0.5")), &h),
            Some(ip("10.2.2.2"))
        );
        assert_eq!(
            client_ip(&trusted, Some(ip("10.0.0.5")), &HeaderMap::new()),
            Some(ip("10.0.0.5"))
        );
        assert_eq!(client_ip(&trusted, None, &h), None);
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("2001:db8:1:2:ffff::9")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(limit_key(ip("192.0.2.1")), ip("192.0.2.1"));
    }
}
