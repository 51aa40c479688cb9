//! The malformed corpus in `tests/malformed/`, plus mutated copies of the good
//! corpus: every input gives a specific error or a usable mail, never a panic.

use kefu_mail::{MAX_MAIL_BYTES, MailError, parse_inbound, thread_keys, trim_quoted};

/// What each file must give: an error, or a mail whose text is this.
enum Expect {
    Err(fn(&MailError) -> bool),
    Text(&'static str),
}

const CASES: &[(&str, Expect)] = &[
    ("empty.eml", Expect::Err(|e| matches!(e, MailError::Empty))),
    (
        "no-headers.eml",
        Expect::Err(|e| matches!(e, MailError::NotAMail(_))),
    ),
    (
        "binary-garbage.bin",
        Expect::Err(|e| matches!(e, MailError::NotAMail(_))),
    ),
    (
        "headers-only.eml",
        Expect::Err(|e| matches!(e, MailError::EmptyBody)),
    ),
    (
        "missing-from.eml",
        Expect::Err(|e| matches!(e, MailError::NoSender)),
    ),
    (
        "bad-from.eml",
        Expect::Err(|e| matches!(e, MailError::InvalidSender(v) if v == "customer service")),
    ),
    (
        "invalid-base64.eml",
        Expect::Err(|e| matches!(e, MailError::BadTransferEncoding { encoding: "base64" })),
    ),
    // Lenient: what a buyer meant is there, so kefu takes it.
    ("subject-only.eml", Expect::Text("Where is order 1234?")),
    (
        "truncated-multipart.eml",
        Expect::Text("The box was crushed, photo below."),
    ),
    (
        "wrong-charset.eml",
        Expect::Text("我要退款，商品和描述不符。"),
    ),
    (
        "unknown-charset.eml",
        Expect::Text("Grüße, wo bleibt mein Paket?"),
    ),
    (
        "raw-8bit-gbk-headers.eml",
        Expect::Text("衣服尺码不合适，申请退货。"),
    ),
];

fn dir(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

fn read(dir_name: &str, file: &str) -> Vec<u8> {
    std::fs::read(dir(dir_name).join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn every_malformed_file_has_its_expected_outcome() {
    let mut files: Vec<String> = std::fs::read_dir(dir("malformed"))
        .expect("tests/malformed")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let listed: Vec<&str> = CASES.iter().map(|(f, _)| *f).collect();
    for f in &files {
        assert!(
            listed.contains(&f.as_str()),
            "{f} has no expected outcome in CASES"
        );
    }
    for (file, expect) in CASES {
        let result = parse_inbound(&read("malformed", file));
        match (expect, &result) {
            (Expect::Err(ok), Err(e)) => assert!(ok(e), "{file}: unexpected error {e:?}"),
            (Expect::Text(t), Ok(m)) => assert_eq!(m.text, *t, "{file}"),
            _ => panic!("{file}: unexpected {result:?}"),
        }
        if let Err(e) = &result {
            assert!(!e.to_string().is_empty());
        }
    }
}

#[test]
fn truncated_multipart_keeps_what_arrived_of_the_photo() {
    let m = parse_inbound(&read("malformed", "truncated-multipart.eml")).expect("lenient");
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(m.attachments[0].filename.as_deref(), Some("box.jpg"));
    assert!(m.attachments[0].data.starts_with(&[0xFF, 0xD8, 0xFF]));
}

#[test]
fn raw_8bit_gbk_headers_are_decoded() {
    let m = parse_inbound(&read("malformed", "raw-8bit-gbk-headers.eml")).expect("lenient");
    assert_eq!(m.subject.as_deref(), Some("退货申请"));
    assert_eq!(m.from_name.as_deref(), Some("王小明"));
    assert_eq!(m.from_address, "wxm@example.cn");
}

#[test]
fn oversized_mail_is_refused_before_parsing() {
    // Realistic shape: a short text and a big base64 photo, padded to the size wanted.
    let mail_of = |size: usize| {
        let mut raw = b"From: a@example.com\r\nSubject: big\r\nMIME-Version: 1.0\r\n\
            Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
            Content-Type: text/plain\r\n\r\nPhoto attached.\r\n--b\r\n\
            Content-Type: image/jpeg; name=p.jpg\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            .to_vec();
        let end = b"\r\n--b--\r\n";
        while raw.len() + 78 + end.len() <= size {
            raw.extend_from_slice(&[b'A'; 76]);
            raw.extend_from_slice(b"\r\n");
        }
        raw.resize(size - end.len(), b'A');
        raw.extend_from_slice(end);
        raw
    };
    assert_eq!(
        parse_inbound(&mail_of(MAX_MAIL_BYTES + 1)),
        Err(MailError::TooLarge {
            size: MAX_MAIL_BYTES + 1,
            limit: MAX_MAIL_BYTES
        })
    );
    let at_limit = parse_inbound(&mail_of(MAX_MAIL_BYTES));
    assert!(
        at_limit
            .as_ref()
            .is_ok_and(|m| m.attachments[0].size > 7_000_000),
        "exactly at the limit is accepted"
    );
}

#[test]
fn whitespace_only_is_empty() {
    assert_eq!(parse_inbound(b" \r\n\t\n"), Err(MailError::Empty));
}

#[test]
fn a_base64_body_with_one_stray_character_is_repaired() {
    let raw = b"From: b@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: base64\r\n\r\nV2hlcmUg!aXMgbXkgb3JkZXI/\r\n";
    assert_eq!(
        parse_inbound(raw).expect("repaired").text,
        "Where is my order?"
    );
}

/// xorshift64*: a fixed-seed generator, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Parses and, when that works, runs everything downstream on the result.
fn exercise(raw: &[u8]) {
    if let Ok(m) = parse_inbound(raw) {
        let _ = thread_keys(&m);
        let _ = trim_quoted(&m.full_text);
        assert!(!m.from_address.is_empty());
    }
}

#[test]
fn mutated_corpus_never_panics() {
    let mut inputs = Vec::new();
    for d in ["mails", "malformed"] {
        for entry in std::fs::read_dir(dir(d)).expect("corpus dir") {
            inputs.push(std::fs::read(entry.expect("entry").path()).expect("read"));
        }
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let bytes_of_interest = [
        b'\r', b'\n', b'\0', 0xFF, b'=', b'-', b':', b'<', b'>', b'"', b'?', b' ',
    ];
    let mut runs = 0;
    for original in &inputs {
        let len = original.len();
        // Truncated at evenly spread points and at every boundary-ish byte.
        for i in 0..=64 {
            exercise(&original[..len * i / 64]);
            runs += 1;
        }
        for (i, _) in original
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'-' || **b == b'=')
        {
            exercise(&original[..i]);
            runs += 1;
        }
        // Byte flips, interesting-byte overwrites, insertions and deletions.
        for _ in 0..200 {
            let mut m = original.clone();
            for _ in 0..=rng.below(4) {
                if m.is_empty() {
                    m.push(b'x');
                }
                let at = rng.below(m.len());
                match rng.below(4) {
                    0 => m[at] ^= 1 << rng.below(8),
                    1 => m[at] = bytes_of_interest[rng.below(bytes_of_interest.len())],
                    2 => m.insert(at, bytes_of_interest[rng.below(bytes_of_interest.len())]),
                    _ => {
                        m.remove(at);
                    }
                }
            }
            exercise(&m);
            runs += 1;
        }
    }
    assert!(runs > 2000, "{runs} runs");
}
