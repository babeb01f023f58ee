//! RSA keys in the PEM shapes the fediverse exchanges, backed by aws-lc-rs.

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{
    KeyPair as _, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::SignatureError;
use super::b64;

/// A freshly generated key pair, PEM-encoded for storage and for `publicKey.publicKeyPem`.
#[derive(Clone)]
pub struct KeyPairPem {
    /// PKCS#8 `-----BEGIN PRIVATE KEY-----`.
    pub private_pem: String,
    /// SPKI `-----BEGIN PUBLIC KEY-----`, 64-character lines and a trailing newline, like Mastodon.
    pub public_pem: String,
}

impl fmt::Debug for KeyPairPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPairPem")
            .field("private_pem", &"<redacted>")
            .field("public_pem", &self.public_pem)
            .finish()
    }
}

/// Generates an RSA-2048 key pair, the size every fediverse server accepts.
pub fn generate_keypair() -> Result<KeyPairPem, SignatureError> {
    let pair = KeyPair::generate(KeySize::Rsa2048)
        .map_err(|_| SignatureError::Sign("RSA key generation failed".into()))?;
    let private_der = pair
        .as_der()
        .map_err(|_| SignatureError::Sign("cannot encode the private key".into()))?;
    let private_pem = pem_encode("PRIVATE KEY", private_der.as_ref());
    let public_pem = PrivateKey(pair).public_key_pem()?;
    Ok(KeyPairPem {
        private_pem,
        public_pem,
    })
}

/// An RSA private key used to sign outgoing requests.
pub struct PrivateKey(KeyPair);

impl PrivateKey {
    /// Parses PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM.
    pub fn from_pem(pem: &str) -> Result<Self, SignatureError> {
        let (label, der) = pem_decode(pem)?;
        let pair = match label {
            "PRIVATE KEY" => KeyPair::from_pkcs8(&der),
            "RSA PRIVATE KEY" => KeyPair::from_der(&der),
            _ => {
                return Err(SignatureError::InvalidKey(
                    "expected a PRIVATE KEY PEM block",
                ));
            }
        }
        .map_err(|_| SignatureError::InvalidKey("not an acceptable RSA private key"))?;
        Ok(PrivateKey(pair))
    }

    /// The matching public key as SPKI PEM, for publishing in the actor document.
    pub fn public_key_pem(&self) -> Result<String, SignatureError> {
        let der = self
            .0
            .public_key()
            .as_der()
            .map_err(|_| SignatureError::Sign("cannot encode the public key".into()))?;
        Ok(pem_encode("PUBLIC KEY", der.as_ref()))
    }

    /// Signs `message` with RSA PKCS#1 v1.5 SHA-256 (what `rsa-sha256`/`rsa-v1_5-sha256` mean).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        let mut signature = vec![0; self.0.public_modulus_len()];
        self.0
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| SignatureError::Sign("RSA signing failed".into()))?;
        Ok(signature)
    }
}

impl fmt::Debug for PrivateKey {
    // Deliberately only the size: this value ends up in logs and panics.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey(RSA-{})", self.0.public_modulus_len() * 8)
    }
}

/// An RSA public key, parsed once so that repeated verifications skip DER decoding.
#[derive(Clone)]
pub struct PublicKey(ParsedPublicKey);

impl PublicKey {
    /// Parses SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`) PEM; 2048 to 8192 bits.
    pub fn from_pem(pem: &str) -> Result<Self, SignatureError> {
        let (label, der) = pem_decode(pem)?;
        if label != "PUBLIC KEY" && label != "RSA PUBLIC KEY" {
            return Err(SignatureError::InvalidKey(
                "expected a PUBLIC KEY PEM block",
            ));
        }
        // aws-lc-rs reads both SPKI and PKCS#1 DER here, and rejects non-RSA SPKI.
        let parsed = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &der)
            .map_err(|_| SignatureError::InvalidKey("not an RSA public key"))?;
        // The size range is only enforced when verifying; check now so a 1024-bit key gets a
        // clear error instead of every signature "not matching".
        let bits =
            rsa_modulus_bits(&der).ok_or(SignatureError::InvalidKey("not an RSA public key"))?;
        if !(2048..=8192).contains(&bits) {
            return Err(SignatureError::InvalidKey(
                "RSA key size must be between 2048 and 8192 bits",
            ));
        }
        Ok(PublicKey(parsed))
    }

    /// Checks an RSA PKCS#1 v1.5 SHA-256 `signature` of `message` (constant time, in aws-lc).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        self.0
            .verify_sig(message, signature)
            .map_err(|_| SignatureError::Mismatch)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublicKey(RSA)")
    }
}

/// Bit length of the modulus in SPKI or PKCS#1 DER (already validated by aws-lc).
///
/// A few lines of DER walking instead of a second full parse keeps `from_pem` cheap.
fn rsa_modulus_bits(der: &[u8]) -> Option<usize> {
    let mut seq = der_take(der, 0x30)?.0;
    // SPKI: SEQUENCE { SEQUENCE { algorithm }, BIT STRING { RSAPublicKey } }.
    if seq.first() == Some(&0x30) {
        let (_, rest) = der_take(seq, 0x30)?;
        let (bits, _) = der_take(rest, 0x03)?;
        let (unused, key) = bits.split_first()?;
        if *unused != 0 {
            return None;
        }
        seq = der_take(key, 0x30)?.0;
    }
    // RSAPublicKey: SEQUENCE { INTEGER modulus, INTEGER exponent }.
    let (modulus, _) = der_take(seq, 0x02)?;
    let first = modulus.iter().position(|&b| b != 0)?;
    let significant = &modulus[first..];
    Some(significant.len() * 8 - significant[0].leading_zeros() as usize)
}

/// Splits one DER element with the expected tag off `input`: (contents, rest).
fn der_take(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = input.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// Wraps DER in a PEM block with 64-character lines and a trailing newline.
fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        // Base64 output is ASCII, so every chunk is valid UTF-8.
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

/// Decodes the first PEM block in `pem`: (label, DER). Tolerates CRLF and stray whitespace.
fn pem_decode(pem: &str) -> Result<(&str, Vec<u8>), SignatureError> {
    let rest = pem
        .trim()
        .strip_prefix("-----BEGIN ")
        .ok_or(SignatureError::InvalidKey("not a PEM block"))?;
    let (label, rest) = rest
        .split_once("-----")
        .ok_or(SignatureError::InvalidKey("not a PEM block"))?;
    let end = format!("-----END {label}-----");
    let (body, _) = rest
        .split_once(end.as_str())
        .ok_or(SignatureError::InvalidKey(
            "PEM END line missing or mismatched",
        ))?;
    if body.contains(':') {
        // RFC 1421 headers such as `Proc-Type: 4,ENCRYPTED`.
        return Err(SignatureError::InvalidKey(
            "encrypted PEM keys are not supported",
        ));
    }
    let base64: Vec<u8> = body.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let der = b64()
        .decode(base64)
        .map_err(|_| SignatureError::InvalidKey("PEM body is not valid base64"))?;
    Ok((label, der))
}

#[cfg(test)]
mod tests {
    use super::super::test_vectors::*;
    use super::*;

    #[test]
    fn all_openssl_encodings_load_and_interoperate() {
        let message = b"interop";
        for private in [PRIVATE_PKCS8_PEM, PRIVATE_PKCS1_PEM] {
            let key = PrivateKey::from_pem(private).unwrap();
            assert_eq!(key.public_key_pem().unwrap(), PUBLIC_SPKI_PEM);
            let signature = key.sign(message).unwrap();
            for public in [PUBLIC_SPKI_PEM, PUBLIC_PKCS1_PEM] {
                PublicKey::from_pem(public)
                    .unwrap()
                    .verify(message, &signature)
                    .unwrap();
            }
        }
    }

    #[test]
    fn pem_tolerates_crlf_and_surrounding_whitespace() {
        let crlf = format!("\r\n  {}  \r\n", PUBLIC_SPKI_PEM.replace('\n', "\r\n"));
        PublicKey::from_pem(&crlf).unwrap();
        let crlf = PRIVATE_PKCS1_PEM.replace('\n', "\r\n");
        PrivateKey::from_pem(&crlf).unwrap();
    }

    #[test]
    fn pem_rejects_wrong_or_broken_blocks() {
        assert!(matches!(
            PublicKey::from_pem(PRIVATE_PKCS8_PEM),
            Err(SignatureError::InvalidKey(_))
        ));
        assert!(matches!(
            PrivateKey::from_pem(PUBLIC_SPKI_PEM),
            Err(SignatureError::InvalidKey(_))
        ));
        assert!(PublicKey::from_pem("").is_err());
        assert!(
            PublicKey::from_pem(&PUBLIC_SPKI_PEM.replace("END PUBLIC", "END PRIVATE")).is_err()
        );
        assert!(PublicKey::from_pem(&PUBLIC_SPKI_PEM.replace('M', "!")).is_err());
        // An Ed25519 SPKI key (`openssl genpkey -algorithm ed25519`) is well-formed but not RSA.
        let ed25519 = "-----BEGIN PUBLIC KEY-----\n\
                       MCowBQYDK2VwAyEAPUhY62vn4Qqq4JhFDFWt1xcopeeFXcXGvSmmzWL5pXc=\n\
                       -----END PUBLIC KEY-----\n";
        assert!(PublicKey::from_pem(ed25519).is_err());
    }

    #[test]
    fn rejects_1024_bit_keys_with_a_clear_error() {
        // `openssl genrsa 1024`: still published by a few very old servers.
        let pem = "-----BEGIN PUBLIC KEY-----\n\
                   MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCiN9fMti4VBw9P7UsXnHpzFLDn\n\
                   7yJO1wTNUTqhAUsn9C1iW0/wsWC4JXMVlS59of6LmeDVMvohJEcslBN9xl3RQ+Dh\n\
                   /TEYw5eqh7TzKApdfpbCaZH22M5yF5hq2vHor7UGvC5pXhH1V/AY/x1Qgyg5zn6t\n\
                   wGSHLPInwtUaBblv1wIDAQAB\n\
                   -----END PUBLIC KEY-----\n";
        let err = PublicKey::from_pem(pem).unwrap_err();
        assert!(err.to_string().contains("2048"), "{err}");
    }

    #[test]
    fn generated_keypair_has_mastodon_shape_and_works() {
        let pair = super::super::tests::generated_pair();
        let public = &pair.public_pem;
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(public.ends_with("\n-----END PUBLIC KEY-----\n"));
        let lines: Vec<&str> = public.lines().collect();
        assert!(lines[1..lines.len() - 2].iter().all(|l| l.len() == 64));
        assert!(lines[lines.len() - 2].len() <= 64);
        assert!(
            pair.private_pem
                .starts_with("-----BEGIN PRIVATE KEY-----\n")
        );
        assert!(pair.private_pem.ends_with("-----END PRIVATE KEY-----\n"));

        let key = PrivateKey::from_pem(&pair.private_pem).unwrap();
        assert_eq!(&key.public_key_pem().unwrap(), public);
        let signature = key.sign(b"m").unwrap();
        assert_eq!(signature.len(), 256);
        PublicKey::from_pem(public)
            .unwrap()
            .verify(b"m", &signature)
            .unwrap();
    }

    #[test]
    fn debug_output_has_no_key_material() {
        let key = PrivateKey::from_pem(PRIVATE_PKCS8_PEM).unwrap();
        assert_eq!(format!("{key:?}"), "PrivateKey(RSA-2048)");
        let pair = KeyPairPem {
            private_pem: PRIVATE_PKCS8_PEM.into(),
            public_pem: PUBLIC_SPKI_PEM.into(),
        };
        assert!(!format!("{pair:?}").contains("MIIE"));
        let public = PublicKey::from_pem(PUBLIC_SPKI_PEM).unwrap();
        assert_eq!(format!("{public:?}"), "PublicKey(RSA)");
    }
}
