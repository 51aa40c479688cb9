//! Credentials sealed at rest.

use kefu_connect::{
    AliExpressCredentials, Credentials, EbayCredentials, SealError, SignMethod, open, seal,
};

const MASTER: &str = "k3fu-master-key-7f9c2e4a1b8d6e03";
const EBAY_TOKEN: &str = "v^1.1#i^1#p^3#I^3#r^1#f^0#t^H4sIAAAAAAAAAOVZa2wUVRSedoXQIJkQxSF4nzj";

fn creds() -> Vec<Credentials> {
    let mut ebay = EbayCredentials::new(EBAY_TOKEN);
    ebay.app_id = Some("AcmeDesk-kefu-PRD-1a2b3c4d5-6e7f8a9b".into());
    ebay.site_id = 77;
    ebay.marketplace_id = "EBAY_DE".into();
    let mut ae = AliExpressCredentials::new(
        "34567890",
        "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "50000800a12bCdEfGhIjKlMnOpQrStUvWxYz",
    );
    ae.seller_login_id = Some("cn1500123456acme".into());
    ae.sign_method = SignMethod::HmacMd5;
    vec![Credentials::Ebay(ebay), Credentials::Aliexpress(ae)]
}

#[test]
fn seal_open_round_trip() {
    for c in creds() {
        let sealed = seal(MASTER, &c);
        assert!(sealed.starts_with("v1:"), "{sealed}");
        assert!(sealed.is_ascii() && !sealed.contains(char::is_whitespace));
        assert_eq!(open(MASTER, &sealed).unwrap(), c);
        // A fresh nonce each time: equal credentials do not give equal texts.
        assert_ne!(seal(MASTER, &c), sealed);
    }
}

#[test]
fn sealed_text_does_not_contain_the_secrets() {
    for c in creds() {
        let sealed = seal(MASTER, &c);
        for secret in [
            EBAY_TOKEN,
            "H4sIAAAAAAAA",
            "a1b2c3d4e5f60718293a4b5c6d7e8f90",
            "50000800a12bCdEfGhIjKlMnOpQrStUvWxYz",
            "oauth_user_token",
            "app_secret",
        ] {
            assert!(!sealed.contains(secret), "{secret} visible in {sealed}");
        }
    }
}

#[test]
fn wrong_key_fails_clearly() {
    let sealed = seal(MASTER, &creds()[0]);
    let err = open("another-master-key-entirely", &sealed).unwrap_err();
    assert_eq!(err, SealError::WrongKeyOrTampered);
    assert!(err.to_string().contains("master key"), "{err}");
}

#[test]
fn tampering_is_detected() {
    let sealed = seal(MASTER, &creds()[1]);
    let body = &sealed[3..];
    // Flip one base64 character at a few places: nonce, ciphertext, tag.
    for pos in [2, body.len() / 2, body.len() - 3] {
        let mut chars: Vec<char> = body.chars().collect();
        chars[pos] = if chars[pos] == 'A' { 'B' } else { 'A' };
        let tampered = format!("v1:{}", chars.into_iter().collect::<String>());
        assert_eq!(
            open(MASTER, &tampered).unwrap_err(),
            SealError::WrongKeyOrTampered,
            "position {pos}"
        );
    }
    // Truncated.
    assert!(open(MASTER, &sealed[..sealed.len() - 8]).is_err());
    assert!(matches!(open(MASTER, "v1:AAAA"), Err(SealError::Encoding)));
    assert!(matches!(
        open(MASTER, "plain-token"),
        Err(SealError::UnknownVersion(_))
    ));
}
