use super::*;

/// One row: a URL, and what the default-limits policy allowing `allowed`
/// (without private addresses) says about it.
fn check(url: &str, allowed: &[&str], expected: Result<&str, &str>) {
    let policy = FetchPolicy::allowing(allowed);
    let got = policy.check_url(url);
    match (&got, expected) {
        (Ok(u), Ok(want)) => assert_eq!(u.to_string(), want, "{url}"),
        (Err(e), Err(kind)) => {
            let k = match e {
                FetchError::NotAllowed(_) => "not_allowed",
                FetchError::ForbiddenAddress { .. } => "forbidden",
                FetchError::HttpsRequired => "https",
                FetchError::InvalidUrl(_) => "invalid",
                other => panic!("{url}: unexpected {other:?}"),
            };
            assert_eq!(k, kind, "{url}: {e}");
        }
        _ => panic!("{url}: got {got:?}, expected {expected:?}"),
    }
}

#[test]
fn urls_are_checked_before_any_connection() {
    let ok = |u: &'static str| Ok::<&str, &str>(u);
    let rows: &[(&str, &[&str], Result<&str, &str>)] = &[
        // Deny by default.
        ("https://example.com/x", &[], Err("not_allowed")),
        (
            "https://example.com/x",
            &["example.com"],
            ok("https://example.com/x"),
        ),
        (
            "https://EXAMPLE.com",
            &["example.com"],
            ok("https://example.com/"),
        ),
        (
            "https://example.com:443/a?b#frag",
            &["example.com"],
            ok("https://example.com/a?b"),
        ),
        (
            "https://example.com:8443?q",
            &["example.com"],
            ok("https://example.com:8443/?q"),
        ),
        (
            "https://sub.example.com/",
            &["example.com"],
            Err("not_allowed"),
        ),
        (
            "https://example.com.evil.net/",
            &["example.com"],
            Err("not_allowed"),
        ),
        // https only.
        ("http://example.com/", &["example.com"], Err("https")),
        (
            "HTTPS://example.com/",
            &["example.com"],
            ok("https://example.com/"),
        ),
        ("ftp://example.com/", &["example.com"], Err("https")),
        // Malformed or smuggling.
        (
            "https://user@example.com/",
            &["example.com"],
            Err("invalid"),
        ),
        (
            "https://user:pw@example.com/",
            &["example.com"],
            Err("invalid"),
        ),
        (
            "https://evil.net\\@example.com/",
            &["example.com"],
            Err("invalid"),
        ),
        ("https://exa%6dple.com/", &["example.com"], Err("invalid")),
        ("https://exämple.com/", &["example.com"], Err("invalid")),
        ("https://example.com:0/", &["example.com"], Err("invalid")),
        (
            "https://example.com:99999/",
            &["example.com"],
            Err("invalid"),
        ),
        ("https://example.com:/", &["example.com"], Err("invalid")),
        ("https://example..com/", &["example..com"], Err("invalid")),
        ("https:///path", &[], Err("invalid")),
        ("example.com/x", &["example.com"], Err("invalid")),
        ("https://example.com/a b", &["example.com"], Err("invalid")),
        // IP literals in every form a WHATWG parser reads as IPv4.
        ("https://127.0.0.1/", &["127.0.0.1"], Err("forbidden")),
        ("https://127.1/", &["127.0.0.1"], Err("forbidden")),
        ("https://0x7f.1/", &["127.0.0.1"], Err("forbidden")),
        ("https://0x7f000001/", &["127.0.0.1"], Err("forbidden")),
        ("https://2130706433/", &["127.0.0.1"], Err("forbidden")),
        ("https://0177.0.0.1/", &["127.0.0.1"], Err("forbidden")),
        ("https://127.0.0.1./", &["127.0.0.1"], Err("forbidden")),
        ("https://127.1/", &[], Err("not_allowed")),
        ("https://256.1.1.1/", &[], Err("invalid")),
        ("https://1.2.3.4.5/", &[], Err("invalid")),
        ("https://0x100.1/", &[], Err("invalid")),
        (
            "https://169.254.169.254/latest/meta-data/",
            &["169.254.169.254"],
            Err("forbidden"),
        ),
        ("https://100.64.0.1/", &["100.64.0.1"], Err("forbidden")),
        ("https://10.0.0.1/", &["10.0.0.1"], Err("forbidden")),
        ("https://8.8.8.8/", &["8.8.8.8"], ok("https://8.8.8.8/")),
        (
            "https://0x8.0x8.0x8.0x8/",
            &["8.8.8.8"],
            ok("https://8.8.8.8/"),
        ),
        ("https://[::1]/", &["::1"], Err("forbidden")),
        (
            "https://[::ffff:127.0.0.1]/",
            &["::ffff:127.0.0.1"],
            Err("forbidden"),
        ),
        (
            "https://[::ffff:7f00:1]/",
            &["::ffff:127.0.0.1"],
            Err("forbidden"),
        ),
        ("https://[fd00::1]/", &["fd00::1"], Err("forbidden")),
        ("https://[fe80::1%25eth0]/", &["fe80::1"], Err("invalid")),
        (
            "https://[2001:4860:4860::8888]:8443/",
            &["[2001:4860:4860::8888]"],
            ok("https://[2001:4860:4860::8888]:8443/"),
        ),
        ("https://[2001:4860:4860::8888/", &[], Err("invalid")),
    ];
    for (url, allowed, expected) in rows {
        check(url, allowed, *expected);
    }
}

#[test]
fn addresses_are_classified() {
    let rows: &[(&str, bool)] = &[
        ("0.0.0.0", true),
        ("0.1.2.3", true),
        ("127.0.0.1", true),
        ("127.255.255.254", true),
        ("10.1.2.3", true),
        ("172.16.0.1", true),
        ("172.31.255.255", true),
        ("172.32.0.1", false),
        ("192.168.1.1", true),
        ("169.254.169.254", true),
        ("100.64.0.1", true),
        ("100.127.255.255", true),
        ("100.128.0.1", false),
        ("224.0.0.1", true),
        ("239.255.255.250", true),
        ("255.255.255.255", true),
        ("240.0.0.1", true),
        ("192.0.2.1", true),
        ("198.18.0.1", true),
        ("8.8.8.8", false),
        ("93.184.215.14", false),
        ("::", true),
        ("::1", true),
        ("::ffff:127.0.0.1", true),
        ("::ffff:10.0.0.1", true),
        ("::ffff:169.254.169.254", true),
        ("::ffff:8.8.8.8", false),
        ("::127.0.0.1", true),
        ("64:ff9b::7f00:1", true),
        ("64:ff9b::808:808", false),
        ("2002:7f00:1::", true),
        ("2002:808:808::1", false),
        ("fd00::", true),
        ("fc00::1", true),
        ("fe80::1", true),
        ("fec0::1", true),
        ("ff02::1", true),
        ("2001:db8::1", true),
        ("2001::1", true),
        ("100::1", true),
        ("4000::1", true),
        ("2001:4860:4860::8888", false),
        ("2606:4700:4700::1111", false),
    ];
    for (ip, forbidden) in rows {
        let addr: IpAddr = ip.parse().expect("test address");
        assert_eq!(forbidden_address(addr).is_some(), *forbidden, "{ip}");
    }
}

#[test]
fn exemptions_are_narrow() {
    let loopback: IpAddr = "127.0.0.1".parse().expect("addr");
    let private: IpAddr = "10.0.0.1".parse().expect("addr");
    let policy = FetchPolicy {
        exempt_addresses: vec![loopback],
        ..FetchPolicy::default()
    };
    assert_eq!(policy.address_refusal(loopback), None);
    assert_eq!(policy.address_refusal(private), Some("private"));
    let open = FetchPolicy {
        allow_private: true,
        ..FetchPolicy::default()
    };
    assert_eq!(open.address_refusal(private), None);
    assert!(FetchPolicy::default().allowed_hosts.is_empty());
}

#[test]
fn redirect_targets_are_joined() {
    let base = FetchUrl::parse("https://example.com:8443/a/b?c").expect("url");
    let rows = [
        ("/x", "https://example.com:8443/x"),
        ("//other.org/y", "https://other.org/y"),
        ("https://third.net/z", "https://third.net/z"),
    ];
    for (location, expected) in rows {
        assert_eq!(
            base.join(location).map(|u| u.to_string()),
            Ok(expected.into())
        );
    }
    assert_eq!(
        base.join("http://other.org/"),
        Err(FetchError::HttpsRequired)
    );
    assert!(matches!(
        base.join("relative"),
        Err(FetchError::InvalidUrl(_))
    ));
}

#[test]
fn outages_and_refusals_are_told_apart() {
    assert!(FetchError::Timeout.is_outage());
    assert!(FetchError::Status(502).is_outage());
    assert!(!FetchError::Status(404).is_outage());
    assert!(!FetchError::NotAllowed("x".into()).is_outage());
    assert!(FetchError::NotAllowed("x".into()).is_refusal());
    assert!(!FetchError::TooLarge { limit: 1 }.is_refusal());
}

#[test]
fn no_fetch_refuses_everything() {
    assert_eq!(
        NoFetch.get("https://issuer.example/did.json", &[]),
        Err(FetchError::NotAllowed("issuer.example".into()))
    );
    assert_eq!(
        NoFetch.get("http://issuer.example/", &[]),
        Err(FetchError::HttpsRequired)
    );
}
