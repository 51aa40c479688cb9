//! Normalisation of a reply before phrase matching, with a map back to the
//! original bytes.
//!
//! Agents and scammers write around a phrase list: "passw0rd", "p@ssword",
//! "P-I-N", "密 码", "密*码", full-width "ＰＩＮ", traditional "密碼" or a
//! mix of scripts inside one word. The phrase automata see one spelling, so
//! the reply is folded first:
//!
//! - full-width Latin letters, digits and the separator symbols (＊－＿．／＠＄)
//!   become ASCII (the part of NFKC that matters here; full-width
//!   punctuation such as ，。！ stays, the sentence splitter knows it);
//! - traditional characters of `data/zh-hant.txt` become simplified, so the
//!   simplified phrase lists match either script, and mixed spellings too;
//! - invisible characters (zero-width space and joiners, soft hyphen, BOM)
//!   are dropped everywhere;
//! - up to three separators (spaces, `*`, `-`, `.`, `·`, `/`, `|`…) between
//!   two Han characters are dropped: Chinese puts no space inside a word;
//! - three or more single Latin letters joined by single separators
//!   ("p.i.n", "p a s s w o r d") are joined into one word;
//! - a run of up to three "leet" characters (0→o, 1→i, 3→e, 4→a, 5→s, 7→t,
//!   @→a, $→s) with ASCII letters on both sides becomes those letters, unless
//!   an `@` starts an e-mail domain ("name@mail.com" stays).
//!
//! Every byte of the folded text remembers the span of the original
//! character it came from, so findings are reported in the caller's
//! original byte offsets. Most replies need no folding; [`Folder::fold`]
//! finds that out with one pass over the bytes and returns `None` then,
//! without allocating.
//!
//! It does NOT lowercase non-ASCII letters, strip accents, or undo
//! homoglyphs from other scripts (Cyrillic "а" for Latin "a").

use std::collections::HashMap;

/// A folded text and, per byte of it, the original character's span.
pub(crate) struct Norm {
    pub text: String,
    src: Vec<(u32, u32)>,
    orig_len: usize,
}

impl Norm {
    /// The original span of the folded span `[s, e)`.
    pub fn span(&self, s: usize, e: usize) -> (usize, usize) {
        if s >= e {
            let p = self.pos(s);
            return (p, p);
        }
        let start = self.src[s].0 as usize;
        let end = self.src[e - 1].1 as usize;
        (start, end)
    }

    /// The original offset of the folded offset `p` (the start of the
    /// character there; the end of the text for `p` at or past the end).
    pub fn pos(&self, p: usize) -> usize {
        self.src.get(p).map_or(self.orig_len, |&(s, _)| s as usize)
    }
}

/// The fold tables, built once per phrase set.
pub(crate) struct Folder {
    /// Traditional → simplified, for the characters of `zh-hant.txt`.
    simp: HashMap<char, char>,
    /// One bit per code point of U+4E00..=U+9FFF: is it a key of `simp`
    /// (a traditional-only character)? The fast scan tests this instead of
    /// hashing every Han character.
    trad_bits: Box<[u64]>,
    /// Likewise: a simplified character whose traditional form differs.
    simp_bits: Box<[u64]>,
}

fn set_bit(bits: &mut [u64], c: char) {
    let cp = c as u32;
    if (HAN_BASE..=HAN_LAST).contains(&cp) {
        let k = (cp - HAN_BASE) as usize;
        bits[k / 64] |= 1 << (k % 64);
    }
}

#[inline]
fn bit(bits: &[u64], cp: u32) -> bool {
    if !(HAN_BASE..=HAN_LAST).contains(&cp) {
        return false;
    }
    let k = (cp - HAN_BASE) as usize;
    bits[k / 64] & (1 << (k % 64)) != 0
}

const HAN_BASE: u32 = 0x4E00;
const HAN_LAST: u32 = 0x9FFF;

/// Byte classes for the fast scan of ASCII text.
const LETTER: u8 = 1;
const LEET: u8 = 2;
const SEP: u8 = 4;

const fn ascii_classes() -> [u8; 128] {
    let mut t = [0u8; 128];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        if b.is_ascii_alphabetic() {
            t[c] = LETTER;
        }
        c += 1;
    }
    let leet = b"013457@$";
    let mut i = 0;
    while i < leet.len() {
        t[leet[i] as usize] |= LEET;
        i += 1;
    }
    let sep = b" *-_./\\|#@^+=";
    let mut i = 0;
    while i < sep.len() {
        t[sep[i] as usize] |= SEP;
        i += 1;
    }
    t
}

static CLASS: [u8; 128] = ascii_classes();

fn leet_letter(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        '@' => 'a',
        _ => return None,
    })
}

/// Separators dropped between Han characters (after width folding).
fn is_sep(c: char) -> bool {
    c.is_ascii() && CLASS[c as usize] & SEP != 0 || matches!(c, '\u{3000}' | '·' | '•' | '・')
}

/// Separators allowed between spelled-out Latin letters.
fn is_letter_sep(c: char) -> bool {
    matches!(c, ' ' | '.' | '-' | '_' | '*' | '·')
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// Full-width letters, digits and the separator symbols as ASCII.
fn narrow(c: char) -> Option<char> {
    let cp = c as u32;
    let keep = matches!(cp, 0xFF10..=0xFF19 | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A)
        || matches!(c, '＊' | '－' | '＿' | '．' | '／' | '＠' | '＄');
    if keep {
        char::from_u32(cp - 0xFEE0)
    } else {
        None
    }
}

fn is_han(c: char) -> bool {
    crate::phrases::is_cjk(c)
}

/// Decode the character at byte `i` of a valid UTF-8 string whose byte
/// there is not ASCII: (code point, length).
#[inline(always)]
fn decode(b: &[u8], i: usize) -> (u32, usize) {
    let b0 = u32::from(b[i]);
    let cont = |k: usize| u32::from(b[i + k] & 0x3F);
    if b0 < 0xE0 {
        (((b0 & 0x1F) << 6) | cont(1), 2)
    } else if b0 < 0xF0 {
        (((b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2), 3)
    } else {
        (
            ((b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3),
            4,
        )
    }
}

#[inline]
fn cjk_cp(cp: u32) -> bool {
    matches!(cp, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// At ASCII byte `i` of class `k` (a leet character or a separator): may a
/// fold start here? A leet character between letters ("passw0rd"), or a
/// single letter set apart by separators ("p.i.n").
#[inline]
fn ascii_hint(b: &[u8], i: usize, k: u8) -> bool {
    if i == 0 || !b[i - 1].is_ascii_alphabetic() {
        return false;
    }
    if k & LEET != 0 {
        // A letter within the next three bytes.
        let mut j = i + 1;
        while j < b.len() && j <= i + 3 && b[j] < 0x80 && CLASS[b[j] as usize] & LEET != 0 {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_alphabetic() {
            return true;
        }
    }
    k & SEP != 0
        && (i < 2 || !b[i - 2].is_ascii_alphanumeric())
        && i + 1 < b.len()
        && b[i + 1].is_ascii_alphabetic()
        && (i + 2 >= b.len() || !b[i + 2].is_ascii_alphanumeric())
        && is_letter_sep(b[i] as char)
}

impl Folder {
    /// From the simplified → traditional table (`data/zh-hant.txt`), plus
    /// the second traditional form of a few characters whose table entry
    /// holds the commoner one (联系 is 聯繫 as well as 聯係).
    pub fn new(hant: &HashMap<char, char>) -> Folder {
        const MORE: [(char, char); 6] = [
            ('系', '繫'),
            ('发', '髮'),
            ('里', '裏'),
            ('了', '瞭'),
            ('只', '隻'),
            ('周', '週'),
        ];
        let mut simp = HashMap::new();
        let words = ((HAN_LAST - HAN_BASE) as usize) / 64 + 1;
        let mut trad_bits = vec![0u64; words];
        let mut simp_bits = vec![0u64; words];
        let pairs = hant
            .iter()
            .map(|(&s, &t)| (s, t, true))
            .chain(MORE.map(|(s, t)| (s, t, false)));
        for (s, t, table) in pairs {
            // Only characters that are never simplified themselves: folding
            // one that is would change a simplified text.
            if s != t && !hant.contains_key(&t) {
                simp.insert(t, s);
                set_bit(&mut trad_bits, t);
                // 系, 里, 了, 只 and 周 are written in traditional texts too.
                if table {
                    set_bit(&mut simp_bits, s);
                }
            }
        }
        Folder {
            simp,
            trad_bits: trad_bits.into_boxed_slice(),
            simp_bits: simp_bits.into_boxed_slice(),
        }
    }

    /// Is `cp` a traditional-only character of the table?
    #[inline]
    pub fn is_trad(&self, cp: u32) -> bool {
        bit(&self.trad_bits, cp)
    }

    /// Is `cp` a simplified character whose traditional form differs?
    #[inline]
    pub fn is_simp(&self, cp: u32) -> bool {
        bit(&self.simp_bits, cp)
    }

    /// The traditional-minus-simplified character count of `text` (for
    /// answering in the reply's script), without hashing each character.
    pub fn hant_score(&self, text: &str) -> i32 {
        let b = text.as_bytes();
        let mut score = 0;
        let mut i = 0;
        while i < b.len() {
            if b[i] < 0x80 {
                i += 1;
                continue;
            }
            let (cp, len) = decode(b, i);
            if self.is_trad(cp) {
                score += 1;
            } else if self.is_simp(cp) {
                score -= 1;
            }
            i += len;
        }
        score
    }

    /// A phrase of the data folded the way a reply is (width and script):
    /// so a shop's phrase in traditional or full-width characters still
    /// matches.
    pub fn fold_phrase(&self, p: &str) -> String {
        p.chars()
            .filter(|&c| !is_invisible(c))
            .map(|c| {
                narrow(c)
                    .or_else(|| self.simp.get(&c).copied())
                    .unwrap_or(c)
            })
            .collect()
    }

    /// Does `text` hold Han characters, and may it need folding? One pass
    /// over the bytes; `true` for the second is a hint (the careful pass
    /// may find nothing to fold after all).
    pub fn scan(&self, text: &str) -> (bool, bool) {
        let b = text.as_bytes();
        if text.is_ascii() {
            // Most replies: letters and spaces, a table lookup per byte.
            let hint = (0..b.len()).any(|i| {
                let k = CLASS[b[i] as usize];
                k & (LEET | SEP) != 0 && ascii_hint(b, i, k)
            });
            return (false, hint);
        }
        let mut cjk = false;
        // 1: the last non-separator character was Han; 2: and separators
        // followed it (so a Han character now means "密 码").
        let mut han = 0u8;
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c < 0x80 {
                let k = CLASS[c as usize];
                if k & (LEET | SEP) != 0 {
                    if ascii_hint(b, i, k) {
                        return (cjk, true);
                    }
                    if k & SEP != 0 {
                        han <<= u8::from(han == 1);
                        i += 1;
                        continue;
                    }
                }
                han = 0;
                i += 1;
                continue;
            }
            let (cp, len) = decode(b, i);
            if cjk_cp(cp) {
                cjk = true;
                if han == 2 || self.is_trad(cp) {
                    return (cjk, true);
                }
                han = 1;
            } else if matches!(cp, 0x3000 | 0xB7 | 0x2022 | 0x30FB) {
                // Ideographic space, middle dots: separators.
                han <<= u8::from(han == 1);
            } else {
                let ch = char::from_u32(cp).unwrap_or(' ');
                if narrow(ch).is_some() || is_invisible(ch) {
                    return (cjk, true);
                }
                han = 0;
            }
            i += len;
        }
        (cjk, false)
    }

    /// Fold `text`; `None` when nothing changes.
    pub fn fold(&self, text: &str) -> Option<Norm> {
        // (original start, original end, folded character, dropped?)
        let mut cs: Vec<(u32, u32, char, bool)> = Vec::with_capacity(text.len());
        let mut changed = false;
        for (i, c) in text.char_indices() {
            let e = (i + c.len_utf8()) as u32;
            if is_invisible(c) {
                cs.push((i as u32, e, c, true));
                changed = true;
                continue;
            }
            let f = if c.is_ascii() {
                c
            } else if self.is_trad(c as u32) {
                self.simp.get(&c).copied().unwrap_or(c)
            } else {
                narrow(c).unwrap_or(c)
            };
            changed |= f != c;
            cs.push((i as u32, e, f, false));
        }
        // Invisible characters go first, so the passes below see the
        // letters on either side of them as neighbours ("p\u{200B}@ss").
        cs.retain(|x| !x.3);
        changed |= drop_han_separators(&mut cs);
        changed |= join_spelled_letters(&mut cs);
        changed |= unleet(&mut cs);
        if !changed {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut src = Vec::with_capacity(text.len());
        for &(s, e, c, dropped) in &cs {
            if dropped {
                continue;
            }
            out.push(c);
            for _ in 0..c.len_utf8() {
                src.push((s, e));
            }
        }
        Some(Norm {
            text: out,
            src,
            orig_len: text.len(),
        })
    }
}

/// One character of a reply being folded: original start and end, the folded character, and
/// whether it is dropped.
type Folding = (u32, u32, char, bool);

/// Drops up to three separators between Han characters ("密 码" is "密码").
fn drop_han_separators(cs: &mut [Folding]) -> bool {
    let live = |cs: &[Folding], j: usize| !cs[j].3;
    let mut changed = false;
    // Separators between Han characters.
    let mut j = 0;
    while j < cs.len() {
        if live(cs, j) && is_han(cs[j].2) {
            let mut k = j + 1;
            let mut seps = 0;
            while k < cs.len() && (cs[k].3 || is_sep(cs[k].2)) {
                seps += usize::from(!cs[k].3);
                k += 1;
            }
            if seps > 0 && seps <= 3 && k < cs.len() && is_han(cs[k].2) {
                for x in &mut cs[j + 1..k] {
                    x.3 = true;
                }
                changed = true;
            }
            j = k.max(j + 1);
        } else {
            j += 1;
        }
    }
    changed
}

/// Joins letters spelled out one by one with separators ("p.a.s.s").
fn join_spelled_letters(cs: &mut [Folding]) -> bool {
    let mut changed = false;
    let alnum = |c: char| c.is_ascii_alphanumeric();
    // Spelled-out letters: L sep L sep L…
    let mut j = 0;
    while j < cs.len() {
        let standalone_start = cs[j].2.is_ascii_alphabetic()
            && !cs[j].3
            && (j == 0 || !alnum(cs[j - 1].2) || cs[j - 1].3);
        if !standalone_start {
            j += 1;
            continue;
        }
        // Extend: letter, separator, letter, … each letter alone.
        let mut letters = 1;
        let mut k = j;
        while k + 2 < cs.len()
            && is_letter_sep(cs[k + 1].2)
            && cs[k + 2].2.is_ascii_alphabetic()
            && (k + 3 >= cs.len() || !alnum(cs[k + 3].2))
        {
            letters += 1;
            k += 2;
        }
        if letters >= 3 && (k + 1 >= cs.len() || !alnum(cs[k + 1].2)) {
            for x in (j + 1..k).step_by(2) {
                cs[x].3 = true;
            }
            changed = true;
        }
        j = k + 1;
    }
    changed
}

/// Reads leet characters inside a word as the letters they stand for ("passw0rd"), but not
/// an email address's '@'.
fn unleet(cs: &mut [Folding]) -> bool {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    let mut changed = false;
    // Leet characters inside a word.
    let mut j = 1;
    while j < cs.len() {
        let prev_letter = cs[j - 1].2.is_ascii_alphabetic();
        if !prev_letter || leet_letter(cs[j].2).is_none() {
            j += 1;
            continue;
        }
        let mut k = j;
        while k < cs.len() && k - j < 4 && leet_letter(cs[k].2).is_some() {
            k += 1;
        }
        let run = k - j;
        let next_letter = k < cs.len() && cs[k].2.is_ascii_alphabetic();
        let email = cs[j..k].iter().any(|x| x.2 == '@') && {
            // name@domain.tld: the word after '@' is followed by ".x".
            let mut m = k;
            while m < cs.len() && (alnum(cs[m].2) || cs[m].2 == '-') {
                m += 1;
            }
            m + 1 < cs.len() && cs[m].2 == '.' && cs[m + 1].2.is_ascii_alphabetic()
        };
        if run <= 3 && next_letter && !email {
            for x in &mut cs[j..k] {
                x.2 = leet_letter(x.2).unwrap_or(x.2);
            }
            changed = true;
        }
        j = k.max(j + 1);
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> Folder {
        let mut hant = HashMap::new();
        for (s, t) in [('码', '碼'), ('银', '銀'), ('宝', '寶')] {
            hant.insert(s, t);
        }
        Folder::new(&hant)
    }

    fn fold(s: &str) -> String {
        let f = folder();
        let (_, hint) = f.scan(s);
        let n = f.fold(s);
        assert!(hint || n.is_none(), "scan missed a fold in {s:?}");
        n.map_or_else(|| s.to_string(), |n| n.text)
    }

    #[test]
    fn folds_tricks() {
        assert_eq!(fold("your passw0rd"), "your password");
        assert_eq!(fold("p@ssword"), "password");
        assert_eq!(fold("pa55w0rd please"), "password please");
        assert_eq!(fold("P-I-N"), "PIN");
        assert_eq!(fold("the p a s s w o r d"), "the password");
        assert_eq!(fold("密 码"), "密码");
        assert_eq!(fold("密*码"), "密码");
        assert_eq!(fold("密 * 码"), "密码");
        assert_eq!(fold("密\u{200B}码"), "密码");
        assert_eq!(fold("ＰＩＮ"), "PIN");
        assert_eq!(fold("密碼"), "密码");
        assert_eq!(fold("銀行卡 支付寶"), "银行卡支付宝");
    }

    #[test]
    fn keeps_ordinary_text() {
        for s in [
            "order 1234567890123",
            "tracking LX123456789CN",
            "write to shop@example.com today",
            "v1.2 costs 19.99 USD",
            "Plan B or C",
            "亲，您好！请问有什么可以帮您？",
            "U.S. and e.g. stay",
        ] {
            assert_eq!(fold(s), s, "{s}");
        }
    }

    #[test]
    fn spans_map_back_to_the_original() {
        let f = folder();
        let orig = "请把密 * 碼发我";
        let n = f.fold(orig).unwrap();
        assert_eq!(n.text, "请把密码发我");
        let at = n.text.find("密码").unwrap();
        let (s, e) = n.span(at, at + "密码".len());
        assert_eq!(&orig[s..e], "密 * 碼");
        let orig = "ＰＩＮ please";
        let n = f.fold(orig).unwrap();
        assert_eq!(n.span(0, 3), (0, 9));
        assert_eq!(n.pos(n.text.len()), orig.len());
    }
}
