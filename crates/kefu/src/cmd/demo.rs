//! `kefu demo`: a realistic demo data set — an eBay shop in US English, a Taobao shop in
//! Chinese, an AliExpress shop selling to German and Spanish buyers — fed through the real
//! ingest path (redaction, language detection, rule clocks), so the demo shows the desk as it
//! runs. Deterministic: the same size gives the same data.

use std::io::Write;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use kefu_core::{Channel, ConversationStatus, Money, Platform, SystemClock};
use kefu_server::AppState;
use kefu_server::desk::ingest::{CustomerRef, InboundRequest, ingest};
use kefu_store::{DEFAULT_TENANT, NewOrder, NewReply, NewShop};
use tokio::task::JoinSet;

/// Conversations loaded by `kefu serve --demo`.
pub const DEMO_CONVERSATIONS: usize = 300;
/// Conversations generated at once; bounds memory and keeps the group-commit queue full.
const IN_FLIGHT: usize = 64;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, env = "KEFU_DB", default_value = super::DEFAULT_DB)]
    db: String,
    /// How many conversations (up to a million, for benchmarks).
    #[arg(long, default_value_t = DEMO_CONVERSATIONS)]
    conversations: usize,
}

pub struct Summary {
    pub shops: usize,
    pub conversations: usize,
    pub messages: usize,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    if args.conversations == 0 || args.conversations > 1_000_000 {
        anyhow::bail!("--conversations must be between 1 and 1000000");
    }
    let store = kefu_store::open(&args.db).await?;
    let key = super::random_token()?;
    let state = AppState::new(store.clone(), Arc::new(SystemClock), &key)?;
    let started = std::time::Instant::now();
    let s = generate(&state, args.conversations, true).await?;
    super::print_json(&serde_json::json!({
        "shops": s.shops, "conversations": s.conversations, "messages": s.messages,
        "seconds": started.elapsed().as_secs_f64(),
    }))
}

/// A small deterministic generator (SplitMix64): demo data must not change between runs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// What one demo shop sells and how its buyers write.
struct Persona {
    name: &'static str,
    platform: Platform,
    currency: &'static str,
    /// Price range in minor units.
    price: (u64, u64),
    buyers: &'static [(&'static str, &'static str)],
    items: &'static [&'static str],
    openers: &'static [&'static str],
    follow_ups: &'static [&'static str],
    replies: &'static [&'static str],
    carrier: &'static str,
    /// How the carrier's tracking numbers begin.
    tracking_prefix: &'static str,
}

const EBAY: Persona = Persona {
    name: "Sunrise Gadgets (eBay US)",
    platform: Platform::Ebay,
    currency: "USD",
    price: (1299, 78_900),
    buyers: &[
        ("en", "Jessica Miller"),
        ("en", "Michael Brown"),
        ("en", "Ashley Davis"),
        ("en", "Chris Wilson"),
        ("en", "Taylor Moore"),
    ],
    items: &[
        "wireless earbuds",
        "USB-C charger",
        "phone case",
        "smart watch band",
        "LED desk lamp",
        "mechanical keyboard",
        "drone with 4K camera",
    ],
    openers: &[
        "Hi, I ordered the {item} (order {order}) and it still hasn't arrived. Tracking {tracking} hasn't updated for 5 days.",
        "The {item} arrived damaged - the box was crushed and it won't turn on. Can I get a replacement?",
        "Hello, when will order {order} ship? I paid three days ago.",
        "Is the {item} compatible with the iPhone 16? The listing doesn't say.",
        "I'd like to return the {item}, it's not what I expected. How do I start a return?",
        "I received the wrong color. I ordered black and got white.",
        "Can you combine shipping if I buy two more of the {item}?",
    ],
    follow_ups: &[
        "Any update on this?",
        "Thanks, that works for me.",
        "It's been two days, can someone please answer?",
        "OK, please reship it.",
    ],
    replies: &[
        "Hi {name}, I'm sorry for the wait. Tracking {tracking} shows the parcel at your local depot; it should arrive within 2 days. If it hasn't arrived by Friday we will reship it or refund you in full, whichever you prefer.",
        "Hi {name}, we understand how frustrating that is. We can send a replacement today, refund you in full, or give you a 20% partial refund if you keep the item. Just tell us which you prefer.",
        "Hi {name}, thank you for your patience. Your order {order} ships today with {carrier}; you will get the tracking number by email this evening.",
    ],
    carrier: "USPS",
    tracking_prefix: "9400",
};

const TAOBAO: Persona = Persona {
    name: "小鹿家居旗舰店 (淘宝)",
    platform: Platform::Taobao,
    currency: "CNY",
    price: (1990, 69_900),
    buyers: &[
        ("zh", "王小明"),
        ("zh", "李娜"),
        ("zh", "张伟"),
        ("zh", "刘洋"),
        ("zh", "陈静"),
    ],
    items: &[
        "羊毛围巾",
        "保温杯",
        "蓝牙音箱",
        "棉麻四件套",
        "儿童雨靴",
        "香薰机",
    ],
    openers: &[
        "亲，我的订单{order}什么时候发货呀？",
        "收到的{item}有破损，外包装都压坏了，怎么处理？",
        "这个{item}是正品吗？有没有质检报告",
        "快递{tracking}三天没更新了，帮忙查一下",
        "可以七天无理由退货吗？{item}颜色不喜欢",
        "亲，{item}买两件能便宜一点吗？",
        "发错颜色了，我要的是灰色的{item}",
    ],
    follow_ups: &["在吗？", "好的谢谢亲", "怎么还没人回复", "那就麻烦补发吧"],
    replies: &[
        "亲，非常抱歉让您久等了。您的包裹{tracking}已到达本地网点，预计两天内送达；如果周五前还没收到，我们马上为您补发或全额退款，您看可以吗？",
        "亲，我们理解您的不便，真的很抱歉。请您拍一张破损处的照片，我们可以为您补发、退款，或者补偿您一张20元优惠券，您选哪一种都可以。",
        "亲，您的订单{order}今天就会通过{carrier}发出，发货后物流单号会第一时间同步给您，请您放心。",
    ],
    carrier: "顺丰速运",
    tracking_prefix: "SF",
};

const ALIEXPRESS: Persona = Persona {
    name: "Bergmann Outdoor Store (AliExpress)",
    platform: Platform::Aliexpress,
    currency: "USD",
    price: (799, 12_000),
    buyers: &[
        ("de", "Jonas Becker"),
        ("de", "Anna Schmidt"),
        ("es", "Lucía García"),
        ("es", "Javier Fernández"),
        ("de", "Lukas Wagner"),
    ],
    items: &[
        "LED-Campinglampe",
        "Trekkingstöcke",
        "linterna frontal",
        "saco de dormir",
        "Wasserfilter",
    ],
    openers: &[
        "Hallo, mein Paket {tracking} ist seit einer Woche unterwegs. Wann kommt es an?",
        "Die {item} ist defekt angekommen. Was kann ich tun?",
        "Kann ich die Bestellung {order} noch stornieren?",
        "Hola, mi pedido {order} aún no ha llegado. ¿Pueden revisar el seguimiento {tracking}?",
        "La {item} llegó rota. ¿Me pueden enviar otra?",
        "¿Cuánto tarda el envío a España?",
    ],
    follow_ups: &[
        "Gibt es Neuigkeiten?",
        "¿Hay alguna novedad?",
        "Danke, das passt.",
        "Gracias, perfecto.",
    ],
    replies: &[
        "Hallo {name}, es tut uns sehr leid. Wir schicken Ihnen sofort Ersatz oder erstatten den vollen Betrag – ganz wie Sie möchten.",
        "Hola {name}, lamentamos mucho la molestia. Le enviamos un reemplazo hoy mismo o le devolvemos el importe completo, como prefiera.",
    ],
    carrier: "Cainiao",
    tracking_prefix: "LP",
};

static PERSONAS: [Persona; 3] = [EBAY, TAOBAO, ALIEXPRESS];

fn fill(
    template: &str,
    name: &str,
    item: &str,
    order: &str,
    tracking: &str,
    carrier: &str,
) -> String {
    template
        .replace("{name}", name)
        .replace("{item}", item)
        .replace("{order}", order)
        .replace("{tracking}", tracking)
        .replace("{carrier}", carrier)
}

/// Creates the three demo shops and `conversations` conversations spread over the last two
/// weeks, each with an order most of the time, some answered and some resolved.
pub async fn generate(
    state: &AppState,
    conversations: usize,
    progress: bool,
) -> anyhow::Result<Summary> {
    let store = &state.store;
    let personas = &PERSONAS;
    let mut shop_ids = Vec::new();
    for p in personas {
        let shop = store
            .create_shop(NewShop {
                tenant_id: DEFAULT_TENANT,
                name: p.name.into(),
                platform: p.platform,
                timezone: p.platform.default_timezone().into(),
                currency: p.currency.into(),
                pack: p.platform.default_pack().into(),
                settings: match p.platform {
                    // The seller's own 3-hour target on top of eBay's 24 hours (KPI-FRT-3H).
                    Platform::Ebay => serde_json::json!({"first_response_target": "3h"}),
                    // The shop's auto-reply for the night (TB-OFFHOURS-BOT).
                    Platform::Taobao => serde_json::json!({"offhours_reply": {
                        "zh": "亲，您好！现在是非工作时间，客服会在{due}前回复您，请您稍候。",
                        "en": "Hello! We are closed now; an agent will answer you by {due}."
                    }}),
                    _ => serde_json::json!({}),
                },
            })
            .await?;
        shop_ids.push(shop.id);
    }
    let now = state.clock.now();
    let mut tasks = JoinSet::new();
    let mut messages = 0usize;
    let mut bar = Progress::new(conversations, progress);
    for i in 0..conversations {
        while tasks.len() >= IN_FLIGHT {
            if let Some(done) = tasks.join_next().await {
                messages += done??;
                bar.tick();
            }
        }
        let which = i % personas.len();
        let state = state.clone();
        let shop_id = shop_ids[which];
        tasks.spawn(async move { conversation(&state, &PERSONAS[which], shop_id, i, now).await });
    }
    while let Some(done) = tasks.join_next().await {
        messages += done??;
        bar.tick();
    }
    bar.finish();
    Ok(Summary {
        shops: shop_ids.len(),
        conversations,
        messages,
    })
}

/// One buyer's conversation; returns the number of messages written.
async fn conversation(
    state: &AppState,
    p: &Persona,
    shop_id: i64,
    i: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut rng = Rng::new(i as u64 * 7919 + 17);
    let rules = state
        .shops
        .get(state.store.as_ref(), &state.packs, shop_id)
        .await?;
    let (lang, name) = *rng.pick(p.buyers);
    let handle = format!("{}-buyer-{i}", p.platform.as_str());
    let item = *rng.pick(p.items);
    let order = format!(
        "{}{:08}",
        &p.platform.as_str()[..2].to_uppercase(),
        20_000_000 + i
    );
    let tracking = format!("{}{:010}", p.tracking_prefix, rng.below(10_000_000_000));
    let started = now - Duration::minutes(rng.below(14 * 24 * 60) as i64 + 30);
    let with_order = rng.below(10) < 8;
    if with_order {
        let facts = OrderDemo {
            order: &order,
            tracking: &tracking,
            item,
            started,
            now,
        };
        demo_order(state, p, shop_id, &facts, &mut rng).await?;
    }
    let inbound = |body: String, at: DateTime<Utc>, n: usize| InboundRequest {
        shop_id,
        channel: if p.platform == Platform::Ebay && n == 0 && i.is_multiple_of(5) {
            Channel::Email
        } else {
            Channel::Marketplace
        },
        customer: CustomerRef {
            handle: handle.clone(),
            name: Some(name.to_string()),
            language: Some(lang.to_string()),
        },
        order_external_id: with_order.then(|| order.clone()),
        body,
        received_at: Some(at.to_rfc3339()),
        external_id: Some(format!("demo-{i}-{n}")),
        reply_to: None,
    };
    let opener = fill(
        rng.pick::<&str>(p.openers),
        name,
        item,
        &order,
        &tracking,
        p.carrier,
    );
    let first = ingest(state, inbound(opener, started, 0)).await?;
    let mut written = 1;
    let mut at = started;
    // What happens next happened in the past too: a later step never passes the present
    // (ingest would refuse a buyer's message from the future).
    let later = |at: DateTime<Utc>, minutes: i64| (at + Duration::minutes(minutes)).min(now);
    // Most conversations get an answer; some of those get a reply back and are resolved.
    if rng.below(10) < 7 {
        at = later(at, rng.below(180) as i64 + 1);
        let body = fill(
            rng.pick::<&str>(p.replies),
            name,
            item,
            &order,
            &tracking,
            p.carrier,
        );
        reply(state, first.conversation_id, body, at).await?;
        written += 1;
        if rng.below(2) == 0 {
            at = later(at, rng.below(600) as i64 + 5);
            let body = rng.pick(p.follow_ups).to_string();
            ingest(state, inbound(body, at, 1)).await?;
            written += 1;
        }
        if rng.below(3) == 0 {
            resolve(state, &rules.pack, first.conversation_id, later(at, 1)).await?;
        }
    } else if rng.below(2) == 0 {
        at = later(at, rng.below(120) as i64 + 1);
        ingest(state, inbound(rng.pick(p.follow_ups).to_string(), at, 1)).await?;
        written += 1;
    }
    Ok(written)
}

/// What a demo order is made from: its number and tracking number, the item the buyer
/// writes about, when the conversation started and the present.
struct OrderDemo<'a> {
    order: &'a str,
    tracking: &'a str,
    item: &'a str,
    started: DateTime<Utc>,
    now: DateTime<Utc>,
}

/// The order a demo buyer writes about, paid before the conversation started.
async fn demo_order(
    state: &AppState,
    p: &Persona,
    shop_id: i64,
    o: &OrderDemo<'_>,
    rng: &mut Rng,
) -> anyhow::Result<()> {
    let (started, now, item) = (o.started, o.now, o.item);
    // One or two of the item the buyer writes about; the total is what they paid.
    let quantity = 1 + rng.below(2) as u32;
    let unit = p.price.0 + rng.below(p.price.1 - p.price.0);
    let cents = unit * u64::from(quantity);
    let money = |c: u64| format!("{}.{:02}", c / 100, c % 100);
    let total = Money::parse(&money(cents), p.currency)?;
    let paid_at = started - Duration::hours(rng.below(96) as i64 + 1);
    // Shipped some hours after payment (a third later than the 48 hours promised, so the
    // late-shipment entitlement shows), never later than now; some have arrived.
    let shipped_at = Some(paid_at + Duration::hours(rng.below(72) as i64 + 2))
        .filter(|at| *at < now - Duration::minutes(30) && rng.below(3) > 0);
    let delivered_at = shipped_at
        .map(|at| at + Duration::hours(rng.below(96) as i64 + 24))
        .filter(|at| *at < now && rng.below(2) == 0);
    let shipped = shipped_at.is_some();
    state
        .store
        .upsert_order(NewOrder {
            shop_id,
            external_id: o.order.to_string(),
            total,
            paid_at,
            promised_ship_by: Some(paid_at + Duration::hours(48)),
            shipped_at,
            carrier: shipped.then(|| p.carrier.to_string()),
            tracking_number: shipped.then(|| o.tracking.to_string()),
            delivered_at,
            closed_at: None,
            // The promises of the Taobao pack, by the keys it knows (packs/taobao.toml).
            promises: if p.platform == Platform::Taobao {
                vec!["ship-time".into(), "return".into(), "damage-reship".into()]
            } else {
                vec![]
            },
            items: vec![kefu_core::OrderItem {
                title: item.to_string(),
                quantity,
                unit_price: Some(money(unit)),
                sku: None,
            }],
            buyer: Default::default(),
        })
        .await?;
    Ok(())
}

/// An agent's answer at `at`: it closes the response clocks a reply closes.
async fn reply(
    state: &AppState,
    conversation_id: i64,
    body: String,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    state
        .store
        .add_reply(NewReply {
            conversation_id,
            agent_id: None,
            actor: "demo".into(),
            body,
            at,
            closes_clocks: vec![
                kefu_core::ClockKind::FirstResponse,
                kefu_core::ClockKind::NextResponse,
                kefu_core::ClockKind::HighValueResponse,
            ],
            guard_override: None,
            automatic: false,
        })
        .await?;
    Ok(())
}

/// The buyer accepted the offer: the conversation is resolved at `at`, with the clocks the
/// pack closes and opens on that.
async fn resolve(
    state: &AppState,
    pack: &kefu_rules::Pack,
    conversation_id: i64,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (closes_clocks, opens) =
        kefu_server::shop_rules::status_clocks(pack, ConversationStatus::Resolved, at);
    state
        .store
        .set_status(kefu_store::StatusChange {
            conversation_id,
            status: ConversationStatus::Resolved,
            actor: "demo".into(),
            at,
            reason: Some("buyer accepted the offer".into()),
            closes_clocks,
            opens,
        })
        .await?;
    Ok(())
}

/// A one-line progress bar on standard error.
struct Progress {
    total: usize,
    done: usize,
    shown: usize,
    enabled: bool,
}

impl Progress {
    fn new(total: usize, enabled: bool) -> Progress {
        Progress {
            total,
            done: 0,
            shown: usize::MAX,
            enabled,
        }
    }

    fn tick(&mut self) {
        self.done += 1;
        let percent = self.done * 100 / self.total.max(1);
        if self.enabled && percent != self.shown {
            self.shown = percent;
            let filled = percent * 30 / 100;
            eprint!(
                "\r[{}{}] {percent:3}% {}/{} conversations",
                "#".repeat(filled),
                " ".repeat(30 - filled),
                self.done,
                self.total
            );
            let _ = std::io::stderr().flush();
        }
    }

    fn finish(&self) {
        if self.enabled {
            eprintln!();
        }
    }
}
