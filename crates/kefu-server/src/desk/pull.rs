//! Storing what a marketplace connector pulled (MULTICHANNEL): orders first (so messages link
//! to them), then buyers' messages through the one ingest path, then return requests, each an
//! after-sales request whose clocks start when the buyer filed it.

use kefu_connect::Pull;
use kefu_core::Channel;
use kefu_rules::Trigger;
use kefu_store::{ClockStart, ConnectorRow, NewOrder};

use super::DeskResult;
use super::ingest::{CustomerRef, InboundRequest, ingest};
use crate::AppState;
use crate::shop_rules::obligations_for;

/// The trigger name a return request records for the clocks it starts.
const AFTER_SALES_REQUEST: &str = "after_sales_request";

/// Stores one pull of connector `row`. Answers how many new messages were stored and the
/// cursor to save (saved by the caller only after all of this succeeded, so a pull repeated
/// after a crash stores nothing twice: every item carries its platform id).
pub async fn store_pull(
    state: &AppState,
    row: &ConnectorRow,
    pull: Pull,
) -> DeskResult<(usize, Option<String>)> {
    store_orders(state, row, &pull.orders).await?;
    let mut stored = store_messages(state, row, pull.messages).await?;
    stored += store_returns(state, row, pull.returns).await?;
    Ok((stored, pull.cursor))
}

/// The platform's facts replace ours; the promises the shop attached stay.
async fn store_orders(
    state: &AppState,
    row: &ConnectorRow,
    orders: &[kefu_connect::PulledOrder],
) -> DeskResult<()> {
    for o in orders {
        let promises = state
            .store
            .order(row.shop_id, &o.external_id)
            .await?
            .map(|existing| existing.promises)
            .unwrap_or_default();
        state
            .store
            .upsert_order(NewOrder {
                shop_id: row.shop_id,
                external_id: o.external_id.clone(),
                total: o.total,
                paid_at: o.paid_at,
                promised_ship_by: o.promised_ship_by,
                shipped_at: o.shipped_at,
                carrier: o.carrier.clone(),
                tracking_number: o.tracking_number.clone(),
                delivered_at: o.delivered_at,
                closed_at: None,
                promises,
                // The platform gives the listings; their titles stay on the platform.
                items: o
                    .item_ids
                    .iter()
                    .map(|id| kefu_core::OrderItem {
                        title: format!("{} {id}", row.kind),
                        quantity: 1,
                        unit_price: None,
                        sku: Some(id.clone()),
                    })
                    .collect(),
                // Marketplace buyers write on the platform, not in the web chat, so no
                // contact is kept for a visitor's proof.
                buyer: Default::default(),
            })
            .await?;
    }
    Ok(())
}

/// Buyers' messages take the same ingest path as every channel, with the platform's message
/// id as `external_id` and the platform thread to reply to. Answers how many were new.
async fn store_messages(
    state: &AppState,
    row: &ConnectorRow,
    messages: Vec<kefu_connect::PulledMessage>,
) -> DeskResult<usize> {
    let mut stored = 0;
    for m in messages {
        let outcome = ingest(
            state,
            InboundRequest {
                shop_id: row.shop_id,
                channel: Channel::Marketplace,
                customer: CustomerRef {
                    handle: m.buyer_handle,
                    name: m.buyer_name,
                    language: None,
                },
                order_external_id: m.order_external_id,
                body: m.body,
                received_at: Some(m.received_at.to_rfc3339()),
                external_id: Some(format!("{}:{}", row.kind, m.external_id)),
                reply_to: serde_json::to_string(&m.thread).ok(),
            },
        )
        .await;
        match outcome {
            Ok(o) if !o.duplicate => stored += 1,
            Ok(_) => {}
            // A message the desk refuses (empty body…) is logged and skipped: one bad
            // message must not stall the shop's whole feed.
            Err(e) if !e.is_transient() => {
                tracing::warn!(connector = row.id, error = %e, "pulled message refused");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(stored)
}

/// A return request is a message in its conversation and an after-sales request: its clocks
/// (TB-AFTERSALES-24-48H and the like, as the shop's pack says) start when the buyer filed
/// it. Answers how many were new.
async fn store_returns(
    state: &AppState,
    row: &ConnectorRow,
    returns: Vec<kefu_connect::PulledReturn>,
) -> DeskResult<usize> {
    let mut stored = 0;
    for r in returns {
        let outcome = ingest(
            state,
            InboundRequest {
                shop_id: row.shop_id,
                channel: Channel::Marketplace,
                customer: CustomerRef {
                    handle: r.buyer_handle.clone(),
                    name: None,
                    language: None,
                },
                order_external_id: r.order_external_id.clone(),
                body: r.summary(),
                received_at: Some(r.created_at.to_rfc3339()),
                external_id: Some(format!("{}-return:{}", row.kind, r.external_id)),
                reply_to: None,
            },
        )
        .await?;
        if outcome.duplicate {
            continue;
        }
        stored += 1;
        let rules = state
            .shops
            .get(state.store.as_ref(), &state.packs, row.shop_id)
            .await?;
        let total = r
            .estimated_refund
            .as_ref()
            .map(|m| (m.amount, m.currency.code().to_string()));
        let obligations =
            obligations_for(&rules.pack, r.created_at, total, Trigger::AfterSalesRequest);
        if !obligations.is_empty() {
            state
                .store
                .start_clocks(ClockStart {
                    conversation_id: outcome.conversation_id,
                    at: r.created_at,
                    actor: format!("connector:{}", row.id),
                    trigger: AFTER_SALES_REQUEST.into(),
                    obligations,
                })
                .await?;
        }
    }
    Ok(stored)
}
