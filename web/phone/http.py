"""The phone page (`/phone`, "Telepon") and `GET /api/phone/account`.

The page is the operator's softphone: JsSIP (served by the console from /static/vendor, built at set-up
from the pinned npm package) registers the user's browser phone over wss, and web/static/phone.js shows
a ringing call's screen-pop from the INVITE's X-Siaga-* headers, answers, hangs up and opens an incident
from the call id through the incidents API. The SIP secret is fetched by the page, never written into
the HTML, and answered with `no-store`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from dispatch.incidents import PRIORITIES
from kernel.messages import N_
from web.deps import Db, Svc, User
from web.errors import Forbidden
from web.pages import render
from web.phone.services import browser_phone, call_map, sip_password

pages = APIRouter()
api = APIRouter(tags=["phone"])

NO_PHONE = N_(
    "your console account has no browser phone: an administrator adds your endpoint to the setting "
    "browser_phones (the console user and the staff endpoint share one name)"
)


@pages.get("/phone", response_class=HTMLResponse)
def phone_page(request: Request, db: Db, svc: Svc, user: User) -> HTMLResponse:
    phone = browser_phone(db, svc.settings, user.name, str(request.base_url))
    kabupaten = svc.places.kabupaten_of.get(phone.facility or "") if phone else None
    if kabupaten is None and user.kabupaten:
        kabupaten = sorted(user.kabupaten)[0]
    return render(
        request,
        "phone.html",
        user,
        phone=phone,
        no_phone=NO_PHONE,
        map_svg=call_map(svc.maps, (kabupaten,)) if kabupaten else "",
        categories=svc.settings.incident_categories,
        priorities=PRIORITIES,
    )


@api.get("/phone/account")
def account_api(request: Request, db: Db, svc: Svc, user: User) -> JSONResponse:
    """The logged-in user's browser phone: endpoint, SIP secret, wss URL; 403 if they have none."""
    phone = browser_phone(db, svc.settings, user.name, str(request.base_url))
    if phone is None:
        raise Forbidden(NO_PHONE)
    body = {
        "endpoint": phone.endpoint,
        "name": phone.name,
        "password": sip_password(svc.settings, phone.endpoint),
        "ws_url": phone.ws_url,
        "sip_uri": f"sip:{phone.endpoint}@{phone.sip_domain}",
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
