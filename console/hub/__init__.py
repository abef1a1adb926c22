"""The hub: the central service every workstation syncs with.

An HTTP API (console/sync/protocol.py is its contract) built with FastAPI and
served by uvicorn, its OpenAPI document at /openapi.json. It holds the
register, the guidance content, operator accounts, and every workstation's
calls, callbacks, failed verification attempts, unlocks and audit entries.

    helpline-console hub serve --data /var/lib/helpline-hub
    helpline-console hub serve --database-url postgresql://hub@db.internal/helpline --workers 4

The embedded default is one SQLite file in `--data DIR`, so a small helpline
runs the hub on one machine with nothing else to set up. A bigger one points
any number of hub processes, on any number of machines, at one PostgreSQL
database behind a load balancer: all state (tokens and sign-in rate limits
included) is in the database, none in a process.

Modules: `storage` (the two backends, one SQL text, the schema's migrations),
`app` (the HTTP API), `sessions` (sign-in, tokens, rate limit), `accounts`,
`push` (what workstations send), `changes` (what they pull), `registers`,
`content`, `reports` (what supervisors read), and the `hub …` commands in `console/cli/hub.py`.

TLS is not the hub's job: it listens on 127.0.0.1 by default, behind a
reverse proxy that terminates TLS. uvicorn trusts X-Forwarded-For only from
127.0.0.1 (its default), so the sign-in rate limit sees each workstation's
own address when the proxy runs on the same machine. An nginx example:

    server {
        listen 443 ssl;
        http2 on;
        server_name hub.helpline.example;
        ssl_certificate     /etc/ssl/helpline/hub.crt;
        ssl_certificate_key /etc/ssl/helpline/hub.key;
        ssl_protocols TLSv1.2 TLSv1.3;

        # the hub refuses bodies over protocol.MAX_BODY_BYTES (8 MiB) itself;
        # nginx's limit sits just above it so the hub's sentence is what arrives
        client_max_body_size 9m;
        access_log /var/log/nginx/helpline-hub.access.log;  # paths and ids only; bodies are never logged

        location / {
            proxy_pass http://127.0.0.1:8765;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto https;
            proxy_read_timeout 120s;  # a large push or snapshot chunk on a slow link
        }
    }

Several hub machines behind it: list them in an `upstream` block and
`proxy_pass http://helpline_hub;` (any of them can serve any request).
"""
