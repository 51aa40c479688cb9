//! The search benchmark behind `kefu bench search`: builds an index of generated messages in
//! a temporary directory and times a mix of queries against it.
//!
//! Messages come from templates in Chinese, English, German, Spanish and French with
//! products, order numbers, tracking numbers, amounts and day counts filled in by a seeded
//! generator, so every run indexes the same corpus and needs no outside data. Queries mix
//! common words, rare codes (order and tracking numbers known to be in the corpus), Chinese
//! words, two-word queries, a phrase, and shop, status and date filters.
//!
//! It does NOT measure the HTTP layer or concurrent writes during searches.

use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;

use crate::{Doc, Query, SearchIndex};

/// Writer memory for the bulk load: large, so few segments are flushed and merged.
const BENCH_WRITER_HEAP: usize = 1 << 30;
const BATCH: usize = 10_000;
const TENANTS: i64 = 3;
const SHOPS_PER_TENANT: i64 = 6;

/// Builds an index of `docs` messages, runs `queries` searches, and reports
/// `{"docs", "index_seconds", "merge_seconds", "segments", "p50_ms", "p99_ms", "max_ms",
/// "mean_ms", "mean_total", "queries"}` (or `{"error": …}` if the index could not be built).
/// Times are wall-clock: `index_seconds` from the first document to the end of the commit,
/// `merge_seconds` waiting after it for background merges to end; query times are single
/// searches, one at a time, including snippets; `mean_total` is the mean match count.
pub fn bench_search(docs: usize, queries: usize) -> serde_json::Value {
    match run(docs, queries) {
        Ok(v) => v,
        Err(e) => json!({ "error": e.to_string() }),
    }
}

fn run(docs: usize, queries: usize) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let index = SearchIndex::open_dir(dir.path(), BENCH_WRITER_HEAP)?;
    let mut corpus = Corpus::new(docs);

    let started = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..docs {
        batch.push(corpus.doc(i as i64 + 1));
        if batch.len() == BATCH {
            index.index(&batch)?;
            batch.clear();
        }
    }
    index.index(&batch)?;
    index.commit()?;
    let index_seconds = started.elapsed().as_secs_f64();
    let merge_started = Instant::now();
    index.wait_merges()?;
    let merge_seconds = merge_started.elapsed().as_secs_f64();

    let plan: Vec<Query> = (0..queries).map(|i| corpus.query(i)).collect();
    // Warm-up: page in the term dictionaries, as a running server would have.
    for q in plan.iter().take(20) {
        index.search(q)?;
    }
    let mut times = Vec::with_capacity(plan.len());
    let mut total_hits = 0u64;
    for q in &plan {
        let t = Instant::now();
        let hits = index.search(q)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        total_hits += hits.total;
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| -> f64 {
        if times.is_empty() {
            return 0.0;
        }
        let rank = ((p * times.len() as f64).ceil() as usize).clamp(1, times.len());
        round3(times[rank - 1])
    };
    let n = times.len().max(1) as f64;
    Ok(json!({
        "docs": index.doc_count(),
        "index_seconds": round3(index_seconds),
        "merge_seconds": round3(merge_seconds),
        "segments": index.segment_count(),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": pct(1.0),
        "mean_ms": round3(times.iter().sum::<f64>() / n),
        "mean_total": (total_hits as f64 / n).round(),
        "queries": times.len(),
    }))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// splitmix64: small, fast and deterministic, which is all a corpus generator needs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

const ZH_IN: &[&str] = &[
    "我的快递{days}天没更新了，订单号{order}，麻烦帮我查一下",
    "亲，{product}收到了但是有破损，可以申请退款吗？",
    "退款申请已经提交了，什么时候到账？",
    "请问{product}有现货吗？今天能发货吗",
    "物流单号{tracking}显示已签收，但是我没收到",
    "发票怎么开？公司抬头需要写什么",
    "我要退货，{product}尺码不合适",
    "客服你好，优惠券为什么用不了",
    "已经等了{days}天了还没发货，再不发我就投诉了",
    "商品质量有问题，颜色和图片不一样",
    "能不能便宜一点？买两件有折扣吗",
    "订单{order}地址填错了，能改一下吗",
    "包裹被退回了，怎么办",
    "假货！和专柜的不一样，我要举报",
    "七天无理由退货运费谁出",
    "收到的{product}少了一个配件",
    "帮我催一下物流好吗，{tracking}",
    "{product}用了两天就坏了，保修吗",
];
const ZH_OUT: &[&str] = &[
    "您好，已为您登记补发，新的快递单号是{tracking}",
    "亲亲，退款{amount}元已经原路退回，请注意查收哦",
    "非常抱歉给您带来不便，我们会尽快为您处理",
    "亲，{product}今天下午统一发货，请耐心等待",
    "已帮您催促快递公司，预计{days}天内送达",
];
const ZH_NOTE: &[&str] = &[
    "顾客要求换货，已联系仓库",
    "买家情绪激动，注意安抚，订单{order}",
    "已申请平台介入，等待结果",
];
const EN_IN: &[&str] = &[
    "Hi, my order {order} still hasn't shipped after {days} days.",
    "I requested a refund for the {product} but haven't received it yet.",
    "The tracking number {tracking} shows delivered but I never got the package.",
    "The item arrived damaged, can I return it for a full refund?",
    "Is the {product} still in stock? Do you ship to Canada?",
    "Package is stuck in customs, please help.",
    "Wrong size received, I ordered M but got L. Can I exchange it?",
    "Thanks, the replacement {product} arrived today!",
    "Where is my order? It's been {days} days.",
    "The {product} stopped working after two weeks. Is it under warranty?",
    "Cancel my order {order} please, I ordered by mistake.",
    "Can you combine shipping for multiple items?",
];
const EN_OUT: &[&str] = &[
    "We have refunded ${amount} to your original payment method.",
    "Refunds are processed within 3-5 business days.",
    "Sorry for the delay, your parcel {tracking} is on its way.",
    "We are sending a replacement {product} today.",
];
const EN_NOTE: &[&str] = &[
    "Buyer opened a case for item not received, order {order}.",
    "Customer asked for partial refund, waiting for photos.",
];
const DE: &[&str] = &[
    "Mein Paket ist seit {days} Tagen unterwegs, Bestellung {order}.",
    "Die Sendungsnummer {tracking} funktioniert nicht.",
    "Ich möchte den {product} zurückschicken und mein Geld zurück.",
    "Der Inhalt des Pakets war beschädigt.",
    "Wann wird die Rückerstattung von {amount} EUR überwiesen?",
    "Falsche Größe geliefert, bitte um Umtausch.",
    "Wir haben Ihnen eine Ersatzlieferung geschickt.",
    "Kann ich die Rechnung per E-Mail bekommen?",
    "Die Lieferung ist leider nicht angekommen.",
];
const ES: &[&str] = &[
    "Mi pedido {order} no ha llegado después de {days} días.",
    "Quiero un reembolso, el {product} llegó roto.",
    "El número de seguimiento {tracking} no muestra información.",
    "¿Cuándo recibiré el reembolso de {amount} euros?",
    "Los reembolsos tardan de 3 a 5 días hábiles.",
    "Talla equivocada, quiero cambiarla por otra.",
    "¿Hacen envíos a México?",
];
const FR: &[&str] = &[
    "Ma commande {order} n'est toujours pas arrivée après {days} jours.",
    "Je voudrais un remboursement pour le {product}.",
    "Le colis est arrivé endommagé.",
    "Le numéro de suivi {tracking} ne fonctionne pas.",
    "Nous avons remboursé {amount} € sur votre moyen de paiement.",
];
const ZH_PRODUCTS: &[&str] = &[
    "蓝牙耳机",
    "保温杯",
    "连衣裙",
    "运动鞋",
    "手机壳",
    "充电宝",
    "电饭煲",
    "羽绒服",
    "机械键盘",
    "儿童书包",
    "空气炸锅",
    "护肤套装",
    "iPhone 15 手机壳",
    "Nike 运动鞋",
];
const EN_PRODUCTS: &[&str] = &[
    "wireless earbuds",
    "phone case",
    "running shoes",
    "power bank",
    "winter jacket",
    "mechanical keyboard",
    "coffee grinder",
    "yoga mat",
    "desk lamp",
    "backpack",
];
const PLATFORMS: &[&str] = &["taobao", "tmall", "pinduoduo", "ebay", "aliexpress", "shop"];
const STATUSES: &[&str] = &["open", "pending", "resolved", "closed"];

/// Generates the corpus and remembers a few of its codes to query for.
struct Corpus {
    rng: Rng,
    start: DateTime<Utc>,
    step_secs: i64,
    conversation: i64,
    /// Order and tracking numbers that occur in the corpus (one in a thousand is kept), with
    /// the tenant whose message has them.
    codes: Vec<(i64, String)>,
    /// Tenant of the message being generated.
    tenant: i64,
}

impl Corpus {
    fn new(docs: usize) -> Corpus {
        let start = Utc
            .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        Corpus {
            rng: Rng(0x6b65_6675),
            start,
            // Spread over a year, oldest first, as a real history would be indexed.
            step_secs: (365 * 86_400 / docs.max(1) as i64).max(1),
            conversation: 0,
            codes: Vec::new(),
            tenant: 1,
        }
    }

    fn doc(&mut self, message_id: i64) -> Doc {
        let r = &mut self.rng;
        // Most of the volume is one big tenant; shops determine the platform.
        let tenant_id = if r.below(10) < 7 {
            1
        } else {
            2 + r.below((TENANTS - 1) as usize) as i64
        };
        self.tenant = tenant_id;
        let shop_index = r.below(SHOPS_PER_TENANT as usize);
        let shop_id = tenant_id * 100 + shop_index as i64;
        let platform = PLATFORMS[shop_index % PLATFORMS.len()];
        let chinese_platform = shop_index % PLATFORMS.len() < 3;
        if r.below(10) < 3 || self.conversation == 0 {
            self.conversation += 1;
        }
        let lang = if chinese_platform {
            if r.below(20) == 0 { "en" } else { "zh" }
        } else {
            *r.pick(&["en", "en", "en", "de", "es", "fr"])
        };
        let roll = r.below(100);
        let (kind, templates): (&str, &[&str]) = match (lang, roll) {
            (_, 0..=4) => ("order", &[]),
            ("zh", 5..=59) => ("inbound", ZH_IN),
            ("zh", 60..=89) => ("outbound", ZH_OUT),
            ("zh", _) => ("note", ZH_NOTE),
            ("en", 5..=59) => ("inbound", EN_IN),
            ("en", 60..=89) => ("outbound", EN_OUT),
            ("en", _) => ("note", EN_NOTE),
            ("de", _) => ("inbound", DE),
            ("es", _) => ("inbound", ES),
            _ => ("inbound", FR),
        };
        let mut body = if kind == "order" {
            self.order_text(lang)
        } else {
            let first = *self.rng.pick(templates);
            let mut text = self.fill(first, lang);
            // Some messages say two things.
            let second = *self.rng.pick(templates);
            if self.rng.below(4) == 0 && second != first {
                text.push(' ');
                text.push_str(&self.fill(second, lang));
            }
            text
        };
        if lang == "zh" && self.rng.below(15) == 0 {
            body.push_str(" Thanks! refund ok?");
        }
        let r = &mut self.rng;
        let created_at =
            self.start + Duration::seconds(message_id * self.step_secs + r.below(600) as i64);
        Doc {
            message_id,
            conversation_id: self.conversation,
            tenant_id,
            shop_id,
            platform: platform.to_string(),
            status: r.pick(STATUSES).to_string(),
            agent_id: (kind != "inbound").then(|| 1 + r.below(30) as i64),
            kind: kind.to_string(),
            language: Some(lang.to_string()),
            body,
            created_at,
        }
    }

    fn order_number(&mut self, lang: &str) -> String {
        let r = &mut self.rng;
        let code = if lang == "zh" {
            format!("{}{}", 2025 + r.below(2), r.digits(14))
        } else {
            format!("{}-{}-{}", r.digits(2), r.digits(5), r.digits(5))
        };
        if r.below(1000) == 0 {
            self.codes.push((self.tenant, code.clone()));
        }
        code
    }

    fn tracking_number(&mut self) -> String {
        let r = &mut self.rng;
        let code = match r.below(4) {
            0 => format!("SF{}", r.digits(12)),
            1 => format!("YT{}", r.digits(13)),
            2 => format!("1Z{}", r.digits(16)),
            _ => format!("LX{}CN", r.digits(9)),
        };
        if r.below(1000) == 0 {
            self.codes.push((self.tenant, code.clone()));
        }
        code
    }

    fn product(&mut self, lang: &str) -> String {
        let r = &mut self.rng;
        let name = if lang == "zh" {
            r.pick(ZH_PRODUCTS)
        } else {
            r.pick(EN_PRODUCTS)
        };
        // A model number now and then: rare words, as real catalogues have.
        if r.below(3) == 0 {
            format!("{name} KX-{}", r.digits(4))
        } else {
            name.to_string()
        }
    }

    fn fill(&mut self, template: &str, lang: &str) -> String {
        let mut out = template.to_string();
        if out.contains("{order}") {
            out = out.replace("{order}", &self.order_number(lang));
        }
        if out.contains("{tracking}") {
            out = out.replace("{tracking}", &self.tracking_number());
        }
        if out.contains("{product}") {
            out = out.replace("{product}", &self.product(lang));
        }
        let days = (2 + self.rng.below(20)).to_string();
        let amount = format!("{}.{:02}", 5 + self.rng.below(500), self.rng.below(100));
        out.replace("{days}", &days).replace("{amount}", &amount)
    }

    fn order_text(&mut self, lang: &str) -> String {
        let order = self.order_number(lang);
        let product = self.product(lang);
        let n = 1 + self.rng.below(3);
        let amount = format!("{}.{:02}", 5 + self.rng.below(500), self.rng.below(100));
        if lang == "zh" {
            let city = self.rng.pick(&[
                "上海市浦东新区",
                "北京市朝阳区",
                "广州市天河区",
                "杭州市西湖区",
            ]);
            format!("订单 {order} {product} x{n} 实付 {amount} 元 收货地址 {city}")
        } else {
            let city = self
                .rng
                .pick(&["Berlin", "Madrid", "Lyon", "Chicago", "Leeds"]);
            format!("Order {order}: {product} x{n}, paid {amount}, ship to {city}")
        }
    }

    /// The `i`th query of the plan: a rotation through the kinds of search people run.
    fn query(&mut self, i: usize) -> Query {
        const COMMON: &[&str] = &[
            "退款",
            "快递",
            "refund",
            "order",
            "Paket",
            "reembolso",
            "发货",
            "物流",
            "package",
            "commande",
        ];
        const CHINESE: &[&str] = &[
            "破损",
            "优惠券",
            "发票",
            "尺码",
            "配件",
            "投诉",
            "保修",
            "补发",
        ];
        const TWO_WORDS: &[&str] = &[
            "refund damaged",
            "快递 没更新",
            "Paket beschädigt",
            "tracking delivered",
            "退款 到账",
            "size exchange",
            "蓝牙耳机 破损",
            "reembolso roto",
        ];
        let r = &mut self.rng;
        if i % 6 == 2 && !self.codes.is_empty() {
            // Looking up a known order or tracking number, in its own tenant.
            let (tenant_id, code) = &self.codes[r.below(self.codes.len())];
            return Query::new(*tenant_id, code.clone());
        }
        let text = match i % 6 {
            0 | 1 => r.pick(COMMON).to_string(),
            2 => "KX-1234".to_string(),
            3 => r.pick(CHINESE).to_string(),
            4 => r.pick(TWO_WORDS).to_string(),
            _ => r
                .pick(&[
                    "\"full refund\"",
                    "KX",
                    "warranty",
                    "Rückerstattung",
                    "remboursement",
                ])
                .to_string(),
        };
        let tenant_id = if r.below(4) == 0 { 2 } else { 1 };
        let mut q = Query::new(tenant_id, text);
        if r.below(2) == 0 {
            q.shop_id = Some(tenant_id * 100 + r.below(SHOPS_PER_TENANT as usize) as i64);
        }
        if r.below(8) == 0 {
            q.status = Some(r.pick(STATUSES).to_string());
        }
        if r.below(8) == 0 {
            let from = self.start + Duration::days(r.below(300) as i64);
            q.from = Some(from);
            q.to = Some(from + Duration::days(30));
        }
        q
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn small_bench_reports_figures() {
        let v = super::bench_search(2_000, 30);
        assert_eq!(v["docs"], 2_000, "{v}");
        assert_eq!(v["queries"], 30, "{v}");
        assert!(v["p99_ms"].as_f64().is_some(), "{v}");
        assert!(v["mean_total"].as_f64().unwrap() > 0.0, "{v}");
    }
}
