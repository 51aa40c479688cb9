//! The shops page: create a shop (platform, time zone, pack) and change its overrides.

use super::*;

#[derive(Debug, Default, Deserialize)]
pub struct ShopForm {
    pub csrf: String,
    pub name: String,
    pub platform: String,
    pub timezone: String,
    pub settings: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ShopsQuery {
    /// A shop whose overrides the page offers to change.
    pub edit: Option<i64>,
}

pub async fn shops_page(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Query(q): axum::extract::Query<ShopsQuery>,
) -> Response {
    // The shop being edited fills its own form only: the "new shop" form stays empty, so
    // saving it cannot make a copy of the shop.
    let mut editing = None;
    if let Some(id) = q.edit
        && let Ok(Some(shop)) = state.store.shop(id).await
        && shop.tenant_id == viewer.agent.tenant_id
    {
        let draft = ShopForm {
            timezone: shop.timezone.clone(),
            settings: serde_json::to_string_pretty(&shop.settings).unwrap_or_default(),
            name: shop.name.clone(),
            ..ShopForm::default()
        };
        editing = Some((id, draft));
    }
    shops_view(
        &state,
        &viewer,
        ShopForm::default(),
        editing,
        None,
        StatusCode::OK,
    )
    .await
}

pub(super) async fn shops_view(
    state: &AppState,
    viewer: &Viewer,
    draft: ShopForm,
    editing: Option<(i64, ShopForm)>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = viewer.lang;
    if !viewer.at_least(Role::Admin) {
        return forbidden(lang, viewer);
    }
    let shops = match state.store.shops(viewer.agent.tenant_id).await {
        Ok(s) => s,
        Err(e) => return unavailable(lang, viewer, e),
    };
    let body = html! {
        h1 { (lang.t("shops")) }
        table { thead { tr { th { "#" } th { (lang.t("shop")) } th { (lang.t("platform")) } th { (lang.t("timezone")) } th { (lang.t("pack")) } th { (lang.t("settings")) } th {} } }
            tbody { @for s in &shops { tr { td { (s.id) } td translate="no" { (s.name) } td { (lang.platform(s.platform.as_str())) } td translate="no" { (s.timezone) } td translate="no" { code { (s.pack) } } td translate="no" { code { (s.settings.to_string()) } }
                td { a href=(format!("/admin/shops?edit={}", s.id)) { (lang.t("edit")) } } } } } }
        @if let Some((id, edit)) = &editing {
            form.card method="post" action="/admin/shops/settings" id="shop-settings-form" {
                h2 { (lang.t("edit_shop")) " · " span translate="no" { (edit.name) } }
                @if let Some(e) = &error { p.error role="alert" { (e) } }
                input type="hidden" name="csrf" value=(viewer.csrf);
                input type="hidden" name="shop" value=(id);
                label for="edit-timezone" { (lang.t("timezone")) " (IANA)" }
                input id="edit-timezone" name="timezone" value=(edit.timezone);
                label for="edit-settings" { (lang.t("settings")) }
                textarea id="edit-settings" name="settings" rows="10" { (edit.settings) }
                button type="submit" { (lang.t("save")) }
            }
        }
        form.card method="post" action="/admin/shops" id="shop-form" {
            h2 { (lang.t("new_shop")) }
            @let new_error = error.as_deref().filter(|_| editing.is_none());
            @let at = new_error.and_then(|e| field_of(e, SHOP_FIELDS));
            @if let (Some(e), None) = (new_error, at) { p.error role="alert" id="shop-error" { (e) } }
            input type="hidden" name="csrf" value=(viewer.csrf);
            label for="name" { (lang.t("shop")) }
            input id="name" name="name" required value=(draft.name) aria-describedby="name-error";
            (beside(new_error, at, "name"))
            label for="platform" { (lang.t("platform")) }
            select id="platform" name="platform" {
                @for p in ["taobao", "tmall", "ebay", "aliexpress", "pinduoduo", "own"] { option value=(p) selected[draft.platform == p] { (lang.platform(p)) } }
            }
            (beside(new_error, at, "platform"))
            label for="timezone" { (lang.t("timezone")) " (IANA)" }
            input id="timezone" name="timezone" placeholder="Asia/Shanghai" value=(draft.timezone) aria-describedby="timezone-error";
            (beside(new_error, at, "timezone"))
            label for="settings" { (lang.t("settings")) }
            textarea id="settings" name="settings" rows="5" aria-describedby="settings-error" translate="no" placeholder=r#"{"working_hours": [{"days": "mon-sun", "from": "09:00", "to": "23:00"}]}"# { (draft.settings) }
            (beside(new_error, at, "settings"))
            button type="submit" { (lang.t("save")) }
        }
    };
    (status, layout(lang, lang.t("shops"), Some(viewer), body)).into_response()
}

pub async fn create_shop(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<ShopForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let again = |error: String| {
        let state = state.clone();
        let viewer = viewer.clone();
        let f = ShopForm {
            csrf: String::new(),
            ..f_clone(&f)
        };
        async move {
            shops_view(
                &state,
                &viewer,
                f,
                None,
                Some(error),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let Ok(platform) = f.platform.parse::<Platform>() else {
        return again(format!("unknown platform {:?}", f.platform)).await;
    };
    let settings = if f.settings.trim().is_empty() {
        None
    } else {
        match serde_json::from_str(&f.settings) {
            Ok(v) => Some(v),
            Err(e) => return again(format!("settings are not valid JSON: {e}")).await,
        }
    };
    let req = crate::desk::admin::CreateShop {
        name: f.name.clone(),
        platform,
        timezone: Some(f.timezone.trim().to_string()).filter(|t| !t.is_empty()),
        currency: None,
        pack: None,
        settings,
    };
    match crate::desk::admin::create_shop(&state, &caller_of(&viewer), req).await {
        Ok(_) => Redirect::to("/admin/shops").into_response(),
        Err(e) => again(e.to_string()).await,
    }
}

pub(super) fn f_clone(f: &ShopForm) -> ShopForm {
    ShopForm {
        csrf: f.csrf.clone(),
        name: f.name.clone(),
        platform: f.platform.clone(),
        timezone: f.timezone.clone(),
        settings: f.settings.clone(),
    }
}

#[derive(Debug, Deserialize)]
pub struct ShopSettingsForm {
    pub csrf: String,
    pub shop: i64,
    pub timezone: String,
    pub settings: String,
}

/// Changes a shop's overrides from the shops page; a refusal shows the text again with why.
pub async fn update_shop(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<ShopSettingsForm>,
) -> Response {
    if !csrf_ok(&viewer, &f.csrf) {
        return expired_form(&viewer);
    }
    let keep = ShopForm {
        csrf: String::new(),
        name: format!("#{}", f.shop),
        platform: String::new(),
        timezone: f.timezone.clone(),
        settings: f.settings.clone(),
    };
    let text = if f.settings.trim().is_empty() {
        "{}"
    } else {
        f.settings.as_str()
    };
    let settings = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => v,
        Err(e) => {
            let error = format!("settings are not valid JSON: {e}");
            return shops_view(
                &state,
                &viewer,
                ShopForm::default(),
                Some((f.shop, keep)),
                Some(error),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let req = crate::desk::admin::UpdateShop {
        timezone: Some(f.timezone.clone()),
        settings,
    };
    match crate::desk::admin::update_shop(&state, &caller_of(&viewer), f.shop, req).await {
        Ok(_) => Redirect::to("/admin/shops").into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            shops_view(
                &state,
                &viewer,
                ShopForm::default(),
                Some((f.shop, keep)),
                Some(e.message),
                e.status,
            )
            .await
        }
    }
}
