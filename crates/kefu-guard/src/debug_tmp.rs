#[test]
fn dbg_hits() {
    let g = crate::phrases::PhraseSet::build(&[]);
    for t in [
        "卡背面的安全码属于隐私信息，切勿告诉任何人。",
        "亲，我们不会让您拍身份证，只需要拍一下商品标签就行。",
    ] {
        for h in g.find(t) {
            println!("{:?} {:?} {}", h.cat, h.tag, &t[h.start..h.end]);
        }
        println!("{:?}", crate::text::sentences(t));
    }
}
