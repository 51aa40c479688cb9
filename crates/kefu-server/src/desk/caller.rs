//! Who asks a use case to act: an agent (with their role and shops) or the administrator's
//! master key. The HTTP edges build it from a bearer token or a session.

use kefu_core::Role;

use super::{DeskError, DeskResult};

/// Who is calling: the master key (admin of the default tenant) or an agent's API token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant_id: i64,
    pub agent_id: Option<i64>,
    pub role: Role,
    /// How the caller appears in the event log.
    pub actor: String,
    /// The person's name, for records such as a confirmed guard warning.
    pub name: String,
    /// The shops an agent is limited to; `None`: every shop of the tenant.
    pub shops: Option<Vec<i64>>,
}

impl Caller {
    /// The desk itself, acting on what the rulebook makes of something a buyer did (a low
    /// rating escalates the conversation): every shop of the tenant, logged as `desk`.
    pub fn desk(tenant_id: i64) -> Caller {
        Caller {
            tenant_id,
            agent_id: None,
            role: Role::Admin,
            actor: "desk".into(),
            name: "desk".into(),
            shops: None,
        }
    }

    /// Whether the caller works for this shop (of their tenant).
    pub fn may_see_shop(&self, shop_id: i64) -> bool {
        self.shops.as_ref().is_none_or(|s| s.contains(&shop_id))
    }

    /// A shop filter for a listing: the one asked for if the caller may see it; for a caller
    /// limited to one shop, that shop; a caller limited to several must name one.
    pub fn shop_filter(&self, asked: Option<i64>) -> DeskResult<Option<i64>> {
        match (&self.shops, asked) {
            (None, asked) => Ok(asked),
            (Some(mine), Some(id)) if mine.contains(&id) => Ok(Some(id)),
            (Some(_), Some(id)) => Err(DeskError::not_found(format!("shop {id} does not exist"))),
            (Some(mine), None) if mine.len() == 1 => Ok(Some(mine[0])),
            (Some(_), None) => Err(DeskError::invalid(
                "you work for several shops: pass shop_id to choose one",
            )),
        }
    }

    pub fn require(&self, role: Role) -> DeskResult<()> {
        let rank = |r: Role| match r {
            Role::Agent => 0,
            Role::Supervisor => 1,
            Role::Admin => 2,
        };
        if rank(self.role) >= rank(role) {
            Ok(())
        } else {
            Err(DeskError::forbidden(format!("this needs the {role} role")))
        }
    }
}
