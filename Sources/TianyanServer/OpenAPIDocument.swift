/// The API's OpenAPI 3.1 document, served at `/api/v1/openapi.yaml`. A test checks that it lists
/// exactly the routes the server has.
enum OpenAPIDocument {
    static let yaml = """
    openapi: 3.1.0
    info:
      title: Tianyan dispatch controller API
      version: "1"
      description: |
        The controller's HTTP API. JSON bodies use snake_case keys; times are UTC ISO 8601 with
        milliseconds. Every error is `{"error": {"message": "...", "field": "...", "status": N}}`,
        `field` naming the part of the request that was wrong where there is one.
        Log in with POST /api/v1/session and send the token as `Authorization: Bearer <token>`.
        Reading needs any role; paging, alarms and tasks need `dispatcher`, sorties and plans `lead`,
        grounding and service records `maintenance`, users and the audit log `admin` (`admin` may
        do everything). No session is 401, the wrong role 403, an unknown id 404. Every change is
        written to the audit log (who, when, what, outcome), refusals too. /healthz, /metrics and
        this document need no session. Failed logins are throttled per client address and per name
        from that address (after 20 and 5 failures), waiting 30 s and doubling with each further failure to 15 min (429 with Retry-After); a login must
        be `Content-Type: application/json` (415 otherwise). A request whose Host names a host the
        controller does not answer for (http.allowed_hosts) gets 421. No string in a JSON body, the
        path or the query may hold a control character (400 naming the field); multi-line text (a
        page's text, descriptions, notes, reasons) may hold newlines and tabs. A request that is not
        valid HTTP/1.1 gets 400, one whose head or body stalls (http.header_timeout_seconds) 408,
        both with `Connection: close`; an idle connection is closed after http.idle_timeout_seconds.
        Lists that grow take `limit` (each documents its maximum) and `offset`, and `since`/`until`
        where they are in time; `next_offset` is where the next page starts, null when this page was not full.
    security:
      - bearer: []
    paths:
      /api/v1/session:
        post:
          summary: Log in; returns a session token (12 hours unless http.session_seconds says otherwise). 403 when the password is right but the user is disabled
          security: []
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [name, password]
                  properties:
                    name: {type: string}
                    password: {type: string}
          responses:
            "201":
              description: logged in
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      token: {type: string}
                      user: {type: string}
                      role: {type: string, enum: [lead, dispatcher, maintenance, viewer, admin]}
                      expires: {type: string, format: date-time}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "429": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "415": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
        get:
          summary: Who the session belongs to
          responses:
            "200": {description: the user and role, content: {application/json: {schema: {type: object}}}}
            "401": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
        delete:
          summary: Log out (the token stops working; live connections opened with it close with 1008 "session ended")
          responses:
            "204": {description: logged out}
            "401": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/live:
        get:
          summary: The live feed (WebSocket)
          description: |
            Upgrade to a WebSocket (`Upgrade: websocket`). Browsers cannot set headers on a
            WebSocket, so the session token may be given as `?token=` instead of the Authorization
            header; without a valid session the upgrade is refused with 401. Every message either
            way is one JSON object as text.

            The client sends `{"subscribe": [topics], "bbox": [south, west, north, east], "units": [ids], "batch": true}`
            (bbox, units and batch optional) at any time; each replaces the last. Topics: positions, units,
            calls, alarms, pages, sorties, tasks, flight_tasks, radio_messages. `bbox` filters positions
            (west > east crosses the antimeridian); `units` keeps only events about those units;
            `"batch": true` lets events waiting together come as one `{"type": "batch", "data": [events]}`
            message (at most 500). Nothing is sent before the first subscribe. The server answers
            `{"type": "subscribed", "data": {"subscribe", "bbox", "units"}}`, or for a message it
            cannot use `{"type": "error", "data": {"message", "field"}}` (the connection stays open).

            Events are `{"type": T, "data": {...}}` with snake_case keys and ISO 8601 UTC times:
            `position` (unit, time, lat, lon, alt_m, speed_mps, heading_deg, accuracy_m, source),
            `unit` (unit, kind, last_seen), `unit_health` (unit, kind, time, mode, battery_percent, …),
            `call` (id, gateway, kind, called, caller, priority, emergency, start, end, cause,
            talking, transmissions [{talker, start, end}]), `alarm` (id, unit, time, kind, severity,
            code, text, cleared_at), `page` (as GET /api/v1/pages/{id}), `sortie` (as GET
            /api/v1/sorties, without the route), `task` (as GET /api/v1/tasks/{id}: every change of a
            dispatch task, its units' pages and statuses, and SLA escalations), `flight_task` (flight_id, dock, time, status,
            percent, step, …), `radio_message` (gateway, unit, time, kind, status, meaning, text, called).

            Each client has a bounded queue (1000 events or 4 MiB); a client that falls that far
            behind is closed with code 1008 and a reason such as "too slow: 1000 events (180 KiB)
            queued". When the session the connection was opened with ends (logout, expiry, the
            user disabled, its password set by an admin) the connection is closed with code 1008
            and the reason "session ended". The server pings every 30 s and closes a client that
            does not answer. A client frame over 16 KiB (or a message over 64 KiB) closes the
            connection with code 1009 and a reason.
          parameters:
            - {name: token, in: query, schema: {type: string}, description: the session token (instead of the Authorization header)}
          responses:
            "101": {description: switched to the WebSocket protocol}
            "401": {$ref: "#/components/responses/BadRequest"}
            "426": {description: a valid session but no WebSocket upgrade requested, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
            "503": {description: the live feed is not running, content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /healthz:
        get:
          summary: Health of the database, the broker link and each radio gateway
          security: []
          responses:
            "200": {description: everything is up, content: {application/json: {schema: {$ref: "#/components/schemas/Health"}}}}
            "503": {description: something is down (listed in problems), content: {application/json: {schema: {$ref: "#/components/schemas/Health"}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /metrics:
        get:
          summary: Prometheus metrics (ingest counters, queue depths, decode errors, link state)
          security: []
          responses:
            "200": {description: Prometheus text exposition format, content: {text/plain: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/openapi.yaml:
        get:
          summary: This document
          security: []
          responses:
            "200": {description: OpenAPI 3.1 YAML, content: {application/yaml: {schema: {type: string}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/gateways:
        get:
          summary: Every radio gateway with its state and counters
          responses:
            "200":
              description: the gateways
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      gateways: {type: array, items: {$ref: "#/components/schemas/Gateway"}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/pages:
        get:
          summary: Pages and status callouts, newest first
          parameters:
            - {name: to, in: query, schema: {type: string}, description: only those to this ISSI or GSSI}
            - {name: since, in: query, schema: {type: string, format: date-time}, description: requested at or after}
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 10000, default: 100}}
          responses:
            "200":
              description: the pages
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      pages: {type: array, items: {$ref: "#/components/schemas/Page"}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
        post:
          summary: Page a radio or a talkgroup (text), or send a status callout (status)
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [to]
                  properties:
                    to: {type: string, description: "ISSI, radio alias (CM-0001) or talkgroup GSSI"}
                    text: {type: [string, "null"], description: the page text (one SDS); give text or status}
                    status: {oneOf: [{type: string}, {type: integer}], description: "status value (32777, 0x8009) or a status name of the gateway's profile"}
                    gateway: {type: [string, "null"], description: "gateway name (default: the first ready one); the session's user is audited as the sender"}
          responses:
            "202":
              description: queued; follow it at the Location
              headers: {Location: {schema: {type: string}}}
              content: {application/json: {schema: {$ref: "#/components/schemas/Page"}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
            "503": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/pages/{id}:
        get:
          summary: One page with every state it reached
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          responses:
            "200": {description: the page, content: {application/json: {schema: {$ref: "#/components/schemas/Page"}}}}
            "404": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/alarms:
        get:
          summary: Alarms (radio emergencies, dock HMS), newest first
          parameters:
            - {name: open, in: query, schema: {type: boolean, default: false}, description: only those not cleared}
            - {name: kind, in: query, schema: {type: string}, description: "emergency, hms, …"}
            - {name: unit, in: query, schema: {type: string}}
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 10000, default: 100}}
          responses:
            "200":
              description: the alarms
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      alarms: {type: array, items: {$ref: "#/components/schemas/Alarm"}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/alarms/{id}/ack:
        post:
          summary: Acknowledge an alarm (dispatcher); audited
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          requestBody:
            required: false
            content: {application/json: {schema: {type: object, properties: {note: {type: [string, "null"]}}}}}
          responses:
            "200": {description: the alarm, content: {application/json: {schema: {$ref: "#/components/schemas/Alarm"}}}}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "409": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
      /api/v1/alarms/{id}/clear:
        post:
          summary: Clear an alarm with a note (dispatcher); audited
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          requestBody:
            required: true
            content: {application/json: {schema: {type: object, required: [note], properties: {note: {type: string, minLength: 1, pattern: '\\S', description: not blank}}}}}
          responses:
            "200": {description: the alarm, content: {application/json: {schema: {$ref: "#/components/schemas/Alarm"}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "409": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
      /api/v1/sorties:
        get:
          summary: Plan sorties overlapping a time range, by take-off
          parameters:
            - {name: from, in: query, schema: {type: string, format: date-time}}
            - {name: to, in: query, schema: {type: string, format: date-time}}
            - {name: state, in: query, description: "comma-separated: planned, held, prepared, executing, paused, done, partial, failed, canceled", schema: {type: string}}
            - {name: drone, in: query, schema: {type: string}}
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 10000, default: 500}}
          responses:
            "200": {description: sorties, content: {application/json: {schema: {type: object, properties: {sorties: {type: array, items: {$ref: "#/components/schemas/Sortie"}}}}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
        post:
          summary: Add an urgent sortie over cells, taking off as soon as a dock can (lead); planned sorties in its way are re-planned; audited
          requestBody:
            required: true
            content: {application/json: {schema: {type: object, required: [cells], properties: {cells: {type: array, items: {type: string}}, drone: {type: [string, "null"]}}}}}
          responses:
            "201": {description: the new sorties, content: {application/json: {schema: {type: object, properties: {sorties: {type: array, items: {$ref: "#/components/schemas/Sortie"}}}}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "409": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
      /api/v1/sorties/{id}:
        get:
          summary: One sortie with its route and history
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          responses:
            "200": {description: the sortie, content: {application/json: {schema: {$ref: "#/components/schemas/Sortie"}}}}
            "401": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/sorties/{id}/pause:
        post:
          summary: Pause (lead). In the air the dock pauses the wayline; not launched yet, the sortie is held; audited
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          responses:
            "200": {description: the sortie, content: {application/json: {schema: {$ref: "#/components/schemas/Sortie"}}}}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "409": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/sorties/{id}/resume:
        post:
          summary: Resume a paused flight or release a held sortie (lead); audited
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          responses:
            "200": {description: the sortie, content: {application/json: {schema: {$ref: "#/components/schemas/Sortie"}}}}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "409": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/sorties/{id}/cancel:
        post:
          summary: Cancel (lead); a flying sortie is recalled and ends with what the dock reports; audited
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          requestBody:
            content: {application/json: {schema: {type: object, properties: {note: {type: [string, "null"]}}}}}
          responses:
            "200": {description: the sortie, content: {application/json: {schema: {$ref: "#/components/schemas/Sortie"}}}}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "409": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
      /api/v1/plan:
        post:
          summary: Re-plan from now (lead); sorties with a dock, held or urgent are kept, planned ones replaced; audited. One re-plan at a time - another while one runs gets 409
          requestBody:
            content: {application/json: {schema: {type: object, properties: {note: {type: [string, "null"]}}}}}
          responses:
            "200":
              description: what changed
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      added: {type: integer}
                      replaced: {type: integer}
                      kept: {type: integer}
                      overdue_cells: {type: integer}
                      seconds: {type: number}
                      summary: {type: string}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "409": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
      /api/v1/coverage:
        get:
          summary: Every cell's coverage from the flown tracks - last covered, staleness, due, overdue
          parameters:
            - {name: status, in: query, schema: {type: string, enum: [covered, overdue, never]}}
          responses:
            "200":
              description: summary and cells
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      summary:
                        type: object
                        properties:
                          time: {type: string, format: date-time}
                          cells: {type: integer}
                          covered: {type: integer}
                          overdue: {type: integer}
                          never_covered: {type: integer}
                          threshold: {type: number}
                          worst_staleness_days: {type: [number, "null"]}
                      cells:
                        type: array
                        items:
                          type: object
                          properties:
                            cell: {type: string}
                            community: {type: string}
                            revisit_days: {type: integer}
                            last_covered: {type: [string, "null"], format: date-time}
                            staleness_days: {type: [number, "null"]}
                            due: {type: [string, "null"], format: date-time}
                            status: {type: string, enum: [covered, overdue, never]}
                            last_fraction: {type: [number, "null"]}
                            last_sortie: {type: [string, "null"]}
                            next_sortie: {type: [string, "null"]}
                            next_start: {type: [string, "null"], format: date-time}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /files/routes/{name}:
        get:
          summary: A route file (DJI WPML KMZ) for a dock; the name is its MD5, given to the dock in flighttask_prepare
          security: []
          parameters:
            - {name: name, in: path, required: true, schema: {type: string, pattern: '^[0-9a-f]{32}\\.kmz$'}}
          responses:
            "200": {description: the KMZ, content: {application/vnd.google-earth.kmz: {schema: {type: string, format: binary}}}}
            "404": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/units:
        get:
          summary: Docks, drones and radios with state (online within units.online_seconds), last position and its age
          parameters:
            - {name: kind, in: query, schema: {type: string, enum: [dock, drone, radio]}}
            - {name: online, in: query, schema: {type: boolean}, description: only those heard (true) or not heard (false) lately}
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 10000, default: 1000}}
            - {name: offset, in: query, schema: {type: integer, minimum: 0, maximum: 1000000, default: 0}}
          responses:
            "200":
              description: the units in registry order (docks, drones, radios), then units heard but not registered
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      units: {type: array, items: {$ref: "#/components/schemas/Unit"}}
                      total: {type: integer, description: "units matching the filters, all pages"}
                      online_seconds: {type: integer}
                      limit: {type: integer}
                      offset: {type: integer}
                      next_offset: {type: [integer, "null"]}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/units/{id}:
        get:
          summary: One unit (dock or drone serial, radio ISSI)
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          responses:
            "200": {description: the unit, content: {application/json: {schema: {$ref: "#/components/schemas/Unit"}}}}
            "401": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/units/{id}/track:
        get:
          summary: A unit's positions in a time range, oldest first (default the last hour; at most 7 days per request)
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
            - {name: from, in: query, schema: {type: string, format: date-time}, description: "default: an hour before to; not after to (400)"}
            - {name: to, in: query, schema: {type: string, format: date-time}, description: "default: an hour after from, or now"}
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100000, default: 10000}}
          responses:
            "200":
              description: the track; when truncated, ask again with from = next_from
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      unit: {type: string}
                      from: {type: string, format: date-time}
                      to: {type: string, format: date-time}
                      limit: {type: integer}
                      truncated: {type: boolean}
                      next_from: {type: [string, "null"], format: date-time}
                      points: {type: array, items: {$ref: "#/components/schemas/Position"}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/units/{id}/health:
        get:
          summary: A drone's or dock's maintenance figures over time (one sample per 10 minutes; default the last 30 days)
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
            - {name: from, in: query, schema: {type: string, format: date-time}, description: "default: 30 days before to; not after to (400)"}
            - {name: to, in: query, schema: {type: string, format: date-time}, description: "default: now"}
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100000, default: 5000}}
          responses:
            "200":
              description: the samples, oldest first
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      unit: {type: string}
                      from: {type: string, format: date-time}
                      to: {type: string, format: date-time}
                      sample_minutes: {type: integer}
                      samples:
                        type: array
                        items:
                          type: object
                          properties:
                            time: {type: string, format: date-time}
                            flight_seconds: {type: [number, "null"], description: total flight time, seconds}
                            flight_count: {type: [integer, "null"]}
                            battery_cycles: {type: [integer, "null"], description: highest charge-cycle count over the packs}
                            battery_percent: {type: [number, "null"]}
                            temperature_c: {type: [number, "null"], description: degrees Celsius}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/console:
        get:
          summary: What the web console needs before login (basemap tiles and their datum, whether Leaflet is installed, task SLA minutes); no session needed
          security: []
          responses:
            "200":
              description: the console settings
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      tile_url: {type: [string, "null"]}
                      tile_datum: {type: string, enum: [wgs84, gcj02]}
                      tile_attribution: {type: string}
                      leaflet: {type: boolean}
                      online_seconds: {type: integer}
                      task_sla: {type: object}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/flight-tasks:
        get:
          summary: Dock flight tasks (the dock's own progress reports), by last update, newest first (dispatch tasks are /api/v1/tasks)
          parameters:
            - {name: dock, in: query, schema: {type: string}}
            - {name: since, in: query, schema: {type: string, format: date-time}, description: updated at or after}
            - {name: until, in: query, schema: {type: string, format: date-time}, description: "updated at or before; not before since (400)"}
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 10000, default: 100}}
            - {name: offset, in: query, schema: {type: integer, minimum: 0, maximum: 1000000, default: 0}}
          responses:
            "200":
              description: the flight tasks
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      flight_tasks:
                        type: array
                        items:
                          type: object
                          properties:
                            flight_id: {type: string}
                            dock: {type: string}
                            updated: {type: string, format: date-time}
                            status: {type: string}
                            percent: {type: [number, "null"]}
                            step: {type: [integer, "null"]}
                            waypoint_index: {type: [integer, "null"]}
                            media_count: {type: [integer, "null"]}
                            track_id: {type: [string, "null"]}
                            result_code: {type: [integer, "null"]}
                            result_text: {type: [string, "null"]}
                      limit: {type: integer}
                      offset: {type: integer}
                      next_offset: {type: [integer, "null"]}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/tasks:
        get:
          summary: Dispatch tasks, newest first (by creation), with SLA standing, units and history
          description: |
            Filters combine. The creation-time range is `since`/`until` (or `from`/`to`, the same thing).
            Each task is the Task schema; the live feed's `task` events (topic `tasks`) have the same shape.
          parameters:
            - {name: state, in: query, schema: {type: string}, description: "comma-separated: open, dispatched, accepted, en_route, on_scene, done, canceled"}
            - {name: team, in: query, schema: {type: string}, description: formation id}
            - {name: since, in: query, schema: {type: string, format: date-time}, description: created at or after}
            - {name: until, in: query, schema: {type: string, format: date-time}, description: "created at or before; not before since (400)"}
            - {name: from, in: query, schema: {type: string, format: date-time}, description: same as since}
            - {name: to, in: query, schema: {type: string, format: date-time}, description: same as until}
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 10000, default: 100}}
            - {name: offset, in: query, schema: {type: integer, minimum: 0, maximum: 1000000, default: 0}}
          responses:
            "200":
              description: the tasks
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      tasks: {type: array, items: {$ref: "#/components/schemas/Task"}}
                      limit: {type: integer}
                      offset: {type: integer}
                      next_offset: {type: [integer, "null"]}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
        post:
          summary: Create a task (dispatcher); audited
          description: |
            From an alarm (`source: {kind: alarm, alarm: ID}`; without a location, where the alarm's
            unit last was), a map point (`{kind: point}`, the default; location required) or a drone
            finding (`{kind: drone, drone: SERIAL, note}`; without a location, where the drone last was).
            The SLA deadlines are fixed at creation: contact (accepted) within tasks.contact_minutes
            (30) and on scene within tasks.on_site_minutes (60), both counted from creation (the
            moment the centre knew), not from dispatch. `team` is a formation id; without it the
            task takes the formation of the first dispatched unit that has one.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [title]
                  properties:
                    title: {type: string, minLength: 1, maxLength: 200, pattern: '\\S', description: not blank}
                    description: {type: [string, "null"], maxLength: 4000}
                    priority: {type: [string, "null"], enum: [low, normal, high, urgent, null], default: normal}
                    location: {type: [object, "null"], required: [lat, lon], properties: {lat: {type: number, minimum: -90, maximum: 90}, lon: {type: number, minimum: -180, maximum: 180}}, description: WGS-84 degrees}
                    source:
                      type: [object, "null"]
                      required: [kind]
                      properties:
                        kind: {type: string, enum: [alarm, point, drone]}
                        alarm: {type: [string, "null"], description: the alarm id (kind alarm)}
                        drone: {type: [string, "null"], description: the drone serial (kind drone)}
                        note: {type: [string, "null"], description: what was found}
                    team: {type: [string, "null"], description: formation id of the registry}
          responses:
            "201":
              description: created (state open); the Location is the task
              headers: {Location: {schema: {type: string}}}
              content: {application/json: {schema: {$ref: "#/components/schemas/Task"}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/tasks/stats:
        get:
          summary: Per team, tasks closed in a range, on-time closure rate, rework rate, mean times to contact and on scene
          description: |
            Counts tasks created (`created`) and closed (`closed`: done; `canceled`) within from…to.
            `on_time_rate` = closed tasks with both SLAs met / closed; `rework_rate` = closed tasks
            reopened at least once / closed (null with nothing closed). Mean times are seconds from
            creation to the first contact (accepted or later) and to the first on-scene, over the
            closed tasks. `team` null gathers the tasks without a team.
          parameters:
            - {name: from, in: query, schema: {type: string, format: date-time}, description: "default: 30 days before to; not after to (400)"}
            - {name: to, in: query, schema: {type: string, format: date-time}, description: "default: now; at most 366 days after from"}
          responses:
            "200":
              description: one entry per team with tasks in the range
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      from: {type: string, format: date-time}
                      to: {type: string, format: date-time}
                      teams:
                        type: array
                        items:
                          type: object
                          properties:
                            team: {type: [string, "null"]}
                            name: {type: [string, "null"]}
                            created: {type: integer}
                            closed: {type: integer}
                            closed_on_time: {type: integer}
                            reworked: {type: integer}
                            canceled: {type: integer}
                            on_time_rate: {type: [number, "null"]}
                            rework_rate: {type: [number, "null"]}
                            mean_contact_s: {type: [number, "null"]}
                            mean_on_site_s: {type: [number, "null"]}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "503": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/tasks/{id}:
        get:
          summary: One task
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          responses:
            "200": {description: the task, content: {application/json: {schema: {$ref: "#/components/schemas/Task"}}}}
            "401": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/tasks/{id}/suggestions:
        get:
          summary: The nearest available units for a task, nearest first, with distance and estimated arrival
          description: |
            Radios and drones with a position no older than tasks.position_max_age_minutes (15), not
            on another unfinished task, and whose last status (12 hours) is not `unavailable`.
            Distance is the great-circle distance to the task's location. Estimated arrival: a radio
            (a person by car) travels 1.3 × the straight line at tasks.road_speed_kmh (30 km/h); a
            drone flies straight at tasks.drone_speed_mps (12 m/s). Grounded drones are not left out
            (the maintenance view says which are).
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
            - {name: kind, in: query, schema: {type: string, enum: [radio, drone]}, description: "default: both"}
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500, default: 10}}
          responses:
            "200": {description: the units, content: {application/json: {schema: {$ref: "#/components/schemas/Suggestions"}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/units/available:
        get:
          summary: The nearest available units to a point (as the task suggestions, for a point with no task yet)
          parameters:
            - {name: lat, in: query, required: true, schema: {type: number, minimum: -90, maximum: 90}}
            - {name: lon, in: query, required: true, schema: {type: number, minimum: -180, maximum: 180}}
            - {name: kind, in: query, schema: {type: string, enum: [radio, drone]}}
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500, default: 10}}
          responses:
            "200": {description: the units, content: {application/json: {schema: {$ref: "#/components/schemas/Suggestions"}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/tasks/{id}/dispatch:
        post:
          summary: Page units with the task and put them on it (dispatcher); audited
          description: |
            Each radio gets one text page (`TK-… [HIGH|URGENT] title @lat,lon`, the title shortened
            to fit one SDS); the page ids are kept on the task (`units[].page`, `units[].page_state`
            follows sent → received → read; the page itself at GET /api/v1/pages/{id}). An open task
            becomes dispatched; units can be added to a task already under way. Drones are put on the
            task without a page. A unit busy on another unfinished task is refused (409) unless
            `force` is true. A unit whose page is refused by the gateway is listed in `dispatch`
            with the error and not put on the task; if no unit could be paged, 503 and nothing changes.
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [units]
                  properties:
                    units: {type: array, items: {type: string}, description: "radio ISSIs or aliases (CM-0001), drone serials; not talkgroups"}
                    force: {type: [boolean, "null"], default: false}
          responses:
            "200":
              description: the task, and per unit the page sent or why not
              content:
                application/json:
                  schema:
                    allOf:
                      - {$ref: "#/components/schemas/Task"}
                      - type: object
                        properties:
                          dispatch:
                            type: array
                            items:
                              type: object
                              properties:
                                unit: {type: string}
                                page: {oneOf: [{$ref: "#/components/schemas/Page"}, {type: "null"}]}
                                error: {type: [string, "null"]}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "409": {$ref: "#/components/responses/BadRequest"}
            "503": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
      /api/v1/tasks/{id}/state:
        post:
          summary: Move a task forward by hand (dispatcher); audited
          description: |
            Forward only: dispatched → accepted → en_route → on_scene → done (steps may be skipped;
            a later state also counts as contact and arrival for the SLAs). The radios' statuses
            move tasks the same way: a status from a unit on the task whose profile meaning is
            accepted, en_route, on_scene or done moves it there (available while on scene: done);
            other statuses are noted in the history only.
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          requestBody:
            required: true
            content: {application/json: {schema: {type: object, required: [state], properties: {state: {type: string, enum: [accepted, en_route, on_scene, done]}, note: {type: [string, "null"]}}}}}
          responses:
            "200": {description: the task, content: {application/json: {schema: {$ref: "#/components/schemas/Task"}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "409": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
      /api/v1/tasks/{id}/cancel:
        post:
          summary: Cancel a task that is not done (dispatcher); the SLA clocks stop; audited
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          requestBody:
            required: true
            content: {application/json: {schema: {type: object, required: [reason], properties: {reason: {type: string, minLength: 1, pattern: '\\S', description: not blank}}}}}
          responses:
            "200": {description: the task, content: {application/json: {schema: {$ref: "#/components/schemas/Task"}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "409": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
      /api/v1/tasks/{id}/reopen:
        post:
          summary: Reopen a done task (dispatcher) - back to open, its units released, counted as rework; audited
          description: The SLAs stay as first measured (deadlines from creation, first contact and arrival kept).
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          requestBody:
            required: true
            content: {application/json: {schema: {type: object, required: [reason], properties: {reason: {type: string, minLength: 1, pattern: '\\S', description: not blank}}}}}
          responses:
            "200": {description: the task, content: {application/json: {schema: {$ref: "#/components/schemas/Task"}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "409": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
      /api/v1/voice-log:
        get:
          summary: Voice calls with their talkers, newest first
          parameters:
            - {name: talkgroup, in: query, schema: {type: string}, description: "GSSI of a group, or the called ISSI"}
            - {name: since, in: query, schema: {type: string, format: date-time}, description: started at or after}
            - {name: until, in: query, schema: {type: string, format: date-time}, description: "started at or before; not before since (400)"}
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000, default: 100}}
            - {name: offset, in: query, schema: {type: integer, minimum: 0, maximum: 1000000, default: 0}}
          responses:
            "200":
              description: the calls
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      calls: {type: array, items: {$ref: "#/components/schemas/VoiceCall"}}
                      limit: {type: integer}
                      offset: {type: integer}
                      next_offset: {type: [integer, "null"]}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/radio-messages:
        get:
          summary: Status and text messages radios sent, newest first
          parameters:
            - {name: unit, in: query, schema: {type: string}, description: the sending ISSI}
            - {name: since, in: query, schema: {type: string, format: date-time}}
            - {name: until, in: query, schema: {type: string, format: date-time}, description: not before since (400)}
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 10000, default: 100}}
            - {name: offset, in: query, schema: {type: integer, minimum: 0, maximum: 1000000, default: 0}}
          responses:
            "200":
              description: the messages
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      messages:
                        type: array
                        items:
                          type: object
                          properties:
                            gateway: {type: string}
                            unit: {type: string}
                            time: {type: string, format: date-time}
                            kind: {type: string, enum: [status, text]}
                            status: {type: [integer, "null"], description: the 16-bit status value of a status}
                            meaning: {type: [string, "null"], description: "what the status means in the gateway's profile (accepted, en_route, …)"}
                            text: {type: [string, "null"], description: "the status label, or the text of a text message"}
                            called: {type: [string, "null"]}
                      limit: {type: integer}
                      offset: {type: integer}
                      next_offset: {type: [integer, "null"]}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/maintenance:
        get:
          summary: "Drones and docks due for maintenance, grounded or with a critical HMS alarm (all=true: every unit)"
          parameters:
            - {name: all, in: query, schema: {type: boolean, default: false}}
          responses:
            "200":
              description: the units and the rules
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      units: {type: array, items: {$ref: "#/components/schemas/MaintenanceStatus"}}
                      total: {type: integer}
                      due: {type: integer}
                      grounded: {type: integer}
                      rules: {type: object, properties: {flight_hours: {type: number}, battery_cycles: {type: integer}, months: {type: integer}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/maintenance/{id}/ground:
        post:
          summary: Ground a drone or dock (maintenance); it is not planned or launched until ungrounded; audited
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}, description: drone or dock serial}
          requestBody:
            required: true
            content: {application/json: {schema: {type: object, required: [reason], properties: {reason: {type: string, minLength: 1, pattern: '\\S', description: not blank}}}}}
          responses:
            "200": {description: the unit's new state, content: {application/json: {schema: {$ref: "#/components/schemas/MaintenanceStatus"}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "409": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
      /api/v1/maintenance/{id}/unground:
        post:
          summary: Return a grounded unit to service (maintenance); audited
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          requestBody:
            content: {application/json: {schema: {type: object, properties: {note: {type: [string, "null"]}}}}}
          responses:
            "200": {description: the unit's new state, content: {application/json: {schema: {$ref: "#/components/schemas/MaintenanceStatus"}}}}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "409": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
      /api/v1/maintenance/{id}/serviced:
        post:
          summary: Record a service (maintenance); the flight-hour and month counters restart; audited
          parameters:
            - {name: id, in: path, required: true, schema: {type: string}}
          requestBody:
            content: {application/json: {schema: {type: object, properties: {note: {type: string, description: what was done}}}}}
          responses:
            "200": {description: the unit's new state, content: {application/json: {schema: {$ref: "#/components/schemas/MaintenanceStatus"}}}}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
      /api/v1/registry:
        get:
          summary: The fleet registry - formations, pilots, docks, drones, talkgroups, radios - with counts (cells at /api/v1/registry/cells)
          responses:
            "200":
              description: the registry (bounded by what was imported, so not paged)
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      counts: {type: object, additionalProperties: {type: integer}, description: "formations, pilots, docks, drones, talkgroups, radios, cells"}
                      formations: {type: array, items: {type: object, properties: {id: {type: string}, name: {type: string}, community: {type: string}, lead: {type: [string, "null"]}}}}
                      pilots: {type: array, items: {type: object, properties: {id: {type: string}, name: {type: string}, formation: {type: string}, licence_class: {type: string}, licence_expiry: {type: string, format: date}, max_duty_hours_per_day: {type: number}, min_rest_hours: {type: number}}}}
                      docks: {type: array, items: {type: object, properties: {serial: {type: string}, name: {type: string}, model: {type: string}, formation: {type: string}, location: {type: object, properties: {latitude: {type: number}, longitude: {type: number}}}, altitude_metres: {type: number}, firmware: {type: string}}}}
                      drones: {type: array, items: {type: object, properties: {serial: {type: string}, name: {type: string}, model: {type: string}, formation: {type: string}, dock: {type: [string, "null"]}, firmware: {type: string}}}}
                      talkgroups: {type: array, items: {type: object, properties: {gssi: {type: string}, name: {type: string}}}}
                      radios: {type: array, items: {type: object, properties: {issi: {type: string}, alias: {type: string}, person: {type: string}, pilot: {type: [string, "null"]}, talkgroups: {type: array, items: {type: string}}}}}
            "401": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/registry/cells:
        get:
          summary: The grid cells as a GeoJSON FeatureCollection (WGS-84 polygons; properties id, community, revisit_days)
          responses:
            "200": {description: GeoJSON, content: {application/geo+json: {schema: {type: object}}}}
            "401": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/audit:
        get:
          summary: The audit log, newest first (admin)
          parameters:
            - {name: actor, in: query, schema: {type: string}}
            - {name: action, in: query, schema: {type: string}, description: "login, user add, maintenance.ground, alarm ack, sortie.urgent, …"}
            - {name: since, in: query, schema: {type: string, format: date-time}}
            - {name: until, in: query, schema: {type: string, format: date-time}, description: not before since (400)}
            - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 10000, default: 100}}
            - {name: offset, in: query, schema: {type: integer, minimum: 0, maximum: 1000000, default: 0}}
          responses:
            "200":
              description: the entries
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      entries:
                        type: array
                        items:
                          type: object
                          properties:
                            time: {type: string, format: date-time}
                            actor: {type: string}
                            action: {type: string}
                            target: {type: string}
                            outcome: {type: string, description: "ok, done, refused, …"}
                            detail: {type: [string, "null"]}
                      limit: {type: integer}
                      offset: {type: integer}
                      next_offset: {type: [integer, "null"]}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/users:
        get:
          summary: Users and their roles (admin); never a password or hash
          responses:
            "200": {description: the users, content: {application/json: {schema: {type: object, properties: {users: {type: array, items: {$ref: "#/components/schemas/User"}}}}}}}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
        post:
          summary: Add a user (admin); audited
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [name, role, password]
                  properties:
                    name: {type: string, minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9._-]+$', description: "1 to 40 letters, digits, '-', '_' or '.'"}
                    role: {type: string, enum: [lead, dispatcher, maintenance, viewer, admin]}
                    password: {type: string, minLength: 10}
          responses:
            "201":
              description: added
              headers: {Location: {schema: {type: string}}}
              content: {application/json: {schema: {$ref: "#/components/schemas/User"}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "409": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
      /api/v1/users/{name}/password:
        post:
          summary: Set a user's password (admin); audited; the user's sessions end and their live connections close (1008 "session ended")
          parameters:
            - {name: name, in: path, required: true, schema: {type: string}}
          requestBody:
            required: true
            content: {application/json: {schema: {type: object, required: [password], properties: {password: {type: string, minLength: 10}}}}}
          responses:
            "200": {description: the user, content: {application/json: {schema: {$ref: "#/components/schemas/User"}}}}
            "400": {$ref: "#/components/responses/BadRequest"}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
            "413": {$ref: "#/components/responses/BadRequest"}
      /api/v1/users/{name}/disable:
        post:
          summary: Disable a user (admin); audited. It cannot log in (403), its sessions end at once and their live connections close (1008 "session ended"). An admin cannot disable itself (409)
          parameters:
            - {name: name, in: path, required: true, schema: {type: string}}
          responses:
            "200": {description: the user, now disabled, content: {application/json: {schema: {$ref: "#/components/schemas/User"}}}}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "409": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
      /api/v1/users/{name}/enable:
        post:
          summary: Enable a disabled user again (admin); audited
          parameters:
            - {name: name, in: path, required: true, schema: {type: string}}
          responses:
            "200": {description: the user, now enabled, content: {application/json: {schema: {$ref: "#/components/schemas/User"}}}}
            "401": {$ref: "#/components/responses/BadRequest"}
            "403": {$ref: "#/components/responses/BadRequest"}
            "404": {$ref: "#/components/responses/BadRequest"}
            "400": {$ref: "#/components/responses/BadRequest"}
            "408": {$ref: "#/components/responses/BadRequest"}
            "421": {$ref: "#/components/responses/BadRequest"}
    components:
      securitySchemes:
        bearer: {type: http, scheme: bearer}
      responses:
        BadRequest:
          description: what was wrong, and which field
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
      schemas:
        Error:
          type: object
          properties:
            error:
              type: object
              required: [message, status]
              properties:
                message: {type: string}
                field: {type: string}
                status: {type: integer}
        Sortie:
          type: object
          properties:
            id: {type: string, description: also the DJI flight id}
            drone: {type: string}
            dock: {type: string}
            pilot: {type: string}
            formation: {type: string}
            cells: {type: array, items: {type: string}}
            start: {type: string, format: date-time}
            end: {type: string, format: date-time}
            state: {type: string, enum: [planned, held, prepared, executing, paused, done, partial, failed, canceled]}
            final: {type: boolean}
            urgent: {type: boolean}
            percent: {type: [number, "null"]}
            updated: {type: string, format: date-time}
            route_distance_m: {type: number}
            route_duration_s: {type: number}
            route: {type: object, description: "only on GET /api/v1/sorties/{id}: survey_speed_mps, photo_trigger_m, points (lat, lon, alt_m, kind)"}
            history:
              type: array
              items: {type: object, properties: {state: {type: string}, time: {type: string, format: date-time}, detail: {type: [string, "null"]}}}
        SLA:
          type: object
          properties:
            deadline: {type: string, format: date-time}
            state: {type: string, enum: [running, met, missed, stopped], description: "stopped: closed before the deadline without meeting it"}
            met_at: {type: [string, "null"], format: date-time}
            escalated_at: {type: [string, "null"], format: date-time, description: "when the miss was escalated (an alarm of kind task_sla, a history step, the audit log)"}
            remaining_s: {type: [number, "null"], description: seconds to the deadline while running}
        Task:
          type: object
          properties:
            id: {type: string}
            title: {type: string}
            description: {type: string}
            priority: {type: string, enum: [low, normal, high, urgent]}
            location: {type: object, properties: {lat: {type: number}, lon: {type: number}}, description: WGS-84}
            source:
              type: object
              properties:
                kind: {type: string, enum: [alarm, point, drone]}
                alarm: {type: [string, "null"]}
                drone: {type: [string, "null"]}
                note: {type: [string, "null"]}
            team: {type: [string, "null"], description: formation id}
            created_by: {type: string}
            created_at: {type: string, format: date-time}
            updated: {type: string, format: date-time}
            state: {type: string, enum: [open, dispatched, accepted, en_route, on_scene, done, canceled]}
            final: {type: boolean}
            closed_at: {type: [string, "null"], format: date-time}
            contact_at: {type: [string, "null"], format: date-time, description: first reached accepted or later}
            on_scene_at: {type: [string, "null"], format: date-time, description: first reached on_scene or done}
            reopened: {type: integer, description: times reopened after done (rework)}
            sla:
              type: object
              properties:
                contact: {$ref: "#/components/schemas/SLA"}
                on_site: {$ref: "#/components/schemas/SLA"}
            units:
              type: array
              items:
                type: object
                properties:
                  unit: {type: string}
                  kind: {type: string, enum: [radio, drone]}
                  name: {type: [string, "null"]}
                  formation: {type: [string, "null"]}
                  assigned_at: {type: string, format: date-time}
                  assigned_by: {type: string}
                  page: {type: [string, "null"], description: "the page id (GET /api/v1/pages/{id})"}
                  page_state: {type: [string, "null"], description: "queued, accepted, sent, received, read, failed, retrying"}
                  status: {type: [string, "null"], description: "the unit's last status on the task: its meaning (accepted, en_route, …) or label"}
                  status_at: {type: [string, "null"], format: date-time}
                  active: {type: boolean, description: on the task now (false once done, canceled or reopened)}
            history:
              type: array
              items:
                type: object
                properties:
                  action: {type: string, description: "created, dispatched, page, status, state, canceled, reopened, escalated"}
                  time: {type: string, format: date-time}
                  actor: {type: string, description: "a user, `radio ISSI`, or `controller` (the SLA watch)"}
                  state: {type: string, description: the task's state after the step}
                  detail: {type: [string, "null"]}
        Suggestions:
          type: object
          properties:
            task: {type: [string, "null"]}
            location: {type: object, properties: {lat: {type: number}, lon: {type: number}}}
            assumptions:
              type: object
              properties:
                radio_road_speed_kmh: {type: number}
                radio_road_detour: {type: number}
                drone_speed_mps: {type: number}
                position_max_age_s: {type: number}
            units:
              type: array
              items:
                allOf:
                  - {$ref: "#/components/schemas/Unit"}
                  - type: object
                    properties:
                      distance_m: {type: number}
                      eta_s: {type: number}
                      position_age_s: {type: number}
        Page:
          type: object
          properties:
            id: {type: string}
            gateway: {type: string}
            to: {type: string}
            target: {type: string, enum: [radio, talkgroup]}
            text: {type: string}
            status: {type: [integer, "null"], description: the status value of a status callout}
            requested_by: {type: string}
            requested_at: {type: string, format: date-time}
            state: {type: string, enum: [queued, accepted, sent, received, read, failed, retrying]}
            final: {type: boolean}
            history:
              type: array
              items:
                type: object
                properties:
                  state: {type: string}
                  time: {type: string, format: date-time}
                  detail: {type: [string, "null"]}
        Alarm:
          type: object
          properties:
            id: {type: string}
            unit: {type: string}
            time: {type: string, format: date-time}
            kind: {type: string}
            severity: {type: string, enum: [info, warning, critical, emergency]}
            code: {type: [string, "null"]}
            text: {type: string}
            acknowledged_at: {type: [string, "null"], format: date-time}
            acknowledged_by: {type: [string, "null"]}
            cleared_at: {type: [string, "null"], format: date-time}
            cleared_by: {type: [string, "null"]}
            note: {type: [string, "null"]}
        Gateway:
          type: object
          properties:
            name: {type: string}
            url: {type: string}
            profile: {type: string}
            connected: {type: boolean}
            ready: {type: boolean}
            own_issi: {type: [string, "null"]}
            since: {type: [string, "null"], format: date-time}
            last_error: {type: [string, "null"]}
            open_calls: {type: integer}
            queued_commands: {type: integer}
            signal_dbm: {type: [integer, "null"]}
            counters: {type: object, additionalProperties: {type: integer}}
        Health:
          type: object
          properties:
            status: {type: string, enum: [ok, degraded]}
            problems: {type: array, items: {type: string}}
            database: {type: string, description: '"ok", "failed: …" when it cannot be read, or "writes failing since …: …" (a full disk, a read-only file)'}
            store:
              type: object
              description: the writer; while writes fail, records wait in memory (at most writer.max_pending) and are written once they succeed
              properties:
                pending: {type: integer, description: records not yet committed}
                committed: {type: integer}
                failed_commits: {type: integer}
                dropped: {type: integer, description: positions refused because the queue was full while writes failed}
                failing: {type: boolean}
                last_error: {type: string}
            broker:
              type: object
              properties:
                connected: {type: boolean}
                url: {type: string}
                last_error: {type: string, nullable: true, description: why it is not connected}
                paused_for_journal_s: {type: integer, description: 'seconds the controller has stayed off the broker because the MQTT journal has no disk room (problem "mqtt journal full"); the broker queues meanwhile'}
                journal:
                  type: object
                  properties:
                    reserved_bytes: {type: integer, description: disk bytes reserved ahead of the journal's writes}
                    short_of_room: {type: boolean}
                    unreleased: {type: integer, description: messages journaled and not yet stored}
                    reserve_error: {type: string, nullable: true}
            gateways: {type: array, items: {$ref: "#/components/schemas/Gateway"}}
            sorties:
              type: object
              description: 'only while the dock link is down; sorties held (not failed) until it is back'
              properties:
                held_for_dock_link: {type: integer, description: sorties due for a dock command and held}
                dock_link_down_since: {type: string, format: date-time}
            time: {type: string, format: date-time}
        Position:
          type: object
          properties:
            time: {type: string, format: date-time}
            lat: {type: number, description: WGS-84}
            lon: {type: number, description: WGS-84}
            alt_m: {type: number}
            speed_mps: {type: number}
            heading_deg: {type: number}
            accuracy_m: {type: number}
            source: {type: string}
        Unit:
          type: object
          properties:
            id: {type: string, description: "dock or drone serial, radio ISSI"}
            kind: {type: string, enum: [dock, drone, radio]}
            name: {type: string}
            registered: {type: boolean, description: false for a device heard but not in the registry}
            formation: {type: [string, "null"]}
            online: {type: boolean}
            last_seen: {type: [string, "null"], format: date-time}
            age_s: {type: [number, "null"], description: seconds since last heard}
            position: {oneOf: [{$ref: "#/components/schemas/Position"}, {type: "null"}]}
        VoiceCall:
          type: object
          properties:
            id: {type: string}
            gateway: {type: string}
            kind: {type: string}
            called: {type: string}
            caller: {type: string}
            priority: {type: integer}
            emergency: {type: boolean}
            start: {type: string, format: date-time}
            end: {type: [string, "null"], format: date-time}
            duration_s: {type: [number, "null"]}
            cause: {type: [string, "null"]}
            talkers:
              type: array
              items:
                type: object
                properties:
                  talker: {type: string}
                  start: {type: string, format: date-time}
                  end: {type: [string, "null"], format: date-time}
                  duration_s: {type: [number, "null"]}
        MaintenanceAction:
          type: [object, "null"]
          properties:
            time: {type: string, format: date-time}
            by: {type: string}
            note: {type: [string, "null"]}
            kind: {type: string, enum: [ground, unground, serviced]}
        MaintenanceStatus:
          type: object
          properties:
            unit: {type: string}
            kind: {type: string, enum: [dock, drone, radio]}
            model: {type: [string, "null"]}
            state: {type: string, enum: [ok, due, grounded]}
            available: {type: boolean, description: neither grounded nor due}
            flight_hours: {type: [number, "null"]}
            flight_hours_since_service: {type: [number, "null"]}
            battery_cycles: {type: [integer, "null"]}
            firmware: {type: [string, "null"]}
            health_reported: {type: [string, "null"], format: date-time}
            last_service: {$ref: "#/components/schemas/MaintenanceAction"}
            grounded: {$ref: "#/components/schemas/MaintenanceAction"}
            due: {type: array, items: {type: string}, description: "why it is due, one line each"}
            open_alarms: {type: array, items: {type: object}}
            alarms_last_30_days: {type: integer}
        User:
          type: object
          properties:
            name: {type: string}
            role: {type: string, enum: [lead, dispatcher, maintenance, viewer, admin]}
            created: {type: string, format: date-time}
            disabled: {type: boolean}
    """
}
