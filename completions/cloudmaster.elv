
use builtin;
use str;

set edit:completion:arg-completer[cloudmaster] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'cloudmaster'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'cloudmaster'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand quickstart 'Start a local server with the bundled courses, log in as a demo learner, open the TUI'
            cand serve 'Run the server (same as the cloudmaster-server binary)'
            cand register 'Create an account and log in'
            cand login 'Log in and store the session'
            cand logout 'Revoke the session on the server and forget it here'
            cand whoami 'Show who you are logged in as, and with which credential'
            cand token 'Manage personal API tokens (for CI)'
            cand keys 'Link SSH public keys to your account, to use the TUI over SSH'
            cand password 'Change your password, or reset a forgotten one with a mailed code'
            cand account 'Download everything the server keeps about your account, or delete it'
            cand courses 'Browse the catalog'
            cand enroll 'Enroll in a course'
            cand unenroll 'Leave a course'
            cand progress 'Show your progress in every enrolled course, or in one'
            cand learn 'Open the next lesson of a course (where you left off)'
            cand lesson 'Read lessons and record progress'
            cand quiz 'List and take module quizzes'
            cand exam 'Take a course''s timed mock exam'
            cand attempts 'List your quiz and exam attempts, or show one'
            cand review 'Answer the spaced-review questions that are due'
            cand tutor 'Ask the AI tutor about your courses and labs; see its conversations and budget'
            cand mastery 'Show your mastery per exam domain and skill'
            cand readiness 'Predict your chance of passing the certification exam'
            cand cert 'List, show, verify and export certificates'
            cand lab 'Hands-on labs: start, check, hint, submit, reset, abandon, test'
            cand course 'Author courses: scaffold, validate, list versions, roll back'
            cand publish 'Validate and publish a course or a catalog of courses'
            cand tui 'Open the terminal UI against the server you are logged in to'
            cand billing 'Buy courses and premium, see payments and receipts, cancel, refund'
            cand admin 'Administration: accounts, revenue and coupons'
            cand config 'Show or change the configuration'
            cand doctor 'Check configuration, server, credentials and lab tools'
            cand completions 'Print shell completions'
            cand generate-docs 'Write completions/ and man/ (for maintainers)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;quickstart'= {
            cand --listen 'Address to listen on (127.0.0.1:0 picks a free port)'
            cand --data-dir 'Folder for the database and catalog [default: $XDG_DATA_HOME/cloudmaster/quickstart]'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --no-tui 'Do not open the TUI; just serve until Ctrl-C'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;serve'= {
            cand --listen 'Address to listen on (port 0 picks a free port; see --url-file)'
            cand --url-file 'Once listening, write the server''s URL to this file (how a script learns the port picked for `--listen 127.0.0.1:0`)'
            cand --database-url 'Database URL: `sqlite://PATH` or `postgres://...` [default: sqlite://<data-dir>/cloudmaster.db]'
            cand --data-dir 'Directory for the embedded database and other server data'
            cand --key-dir 'Directory of the token and certificate signing keys, readable only by the server''s user. Replicas on one PostgreSQL database must all be given the same one (a shared mounted secret directory) [default: <data-dir>/keys]'
            cand --pool-size 'Maximum database connections of this replica'
            cand --log-format 'Log format'
            cand --max-body-bytes 'Largest accepted request body, except publishing'
            cand --max-publish-bytes 'Largest accepted course bundle (publish)'
            cand --rate-limit-free 'Requests per rate-limit window for free learners (0 = unlimited)'
            cand --rate-limit-premium 'Requests per window for premium learners (0 = unlimited)'
            cand --rate-limit-staff 'Requests per window for instructors and admins (0 = unlimited)'
            cand --rate-limit-anonymous 'Requests per window for unauthenticated clients, per IP address (0 = unlimited)'
            cand --rate-limit-window-secs 'Length of the fixed rate-limit window, in seconds'
            cand --trust-forwarded-for 'Proxy networks (CIDRs or addresses, comma-separated) whose `X-Forwarded-For` is believed. A request from one of them is attributed to the rightmost address in `X-Forwarded-For` that is not itself a trusted proxy; from anywhere else, to the TCP peer. Empty (the default): the header is ignored'
            cand --rate-limit-login 'Login attempts per client address per minute'
            cand --rate-limit-register 'Registrations per client address per hour'
            cand --rate-limit-refresh 'Refresh-token exchanges (and logouts) per client address per minute'
            cand --rate-limit-password-reset 'Password-reset requests and redemptions per client address per hour'
            cand --argon2-memory-kib 'Argon2id memory per password hash, in KiB. Changing a cost parameter re-hashes each password at its owner''s next login'
            cand --argon2-iterations 'Argon2id passes over memory per password hash'
            cand --argon2-parallelism 'Argon2id lanes per password hash'
            cand --password-hash-threads 'Password hashes computed at once (each holds its Argon2 memory) [default: CPUs]'
            cand --password-hash-queue 'Password hashes allowed to wait for a thread; beyond that, login, registration and password change answer 503 with `Retry-After`'
            cand --password-hash-wait-ms 'Longest a password hash waits for a thread, in milliseconds, before 503'
            cand --catalog-cache-ms 'How long this replica serves the catalog from memory before re-reading it, in milliseconds. A publish through this replica shows at once; through another one within this time. 0 re-reads on every request'
            cand --auth-cache-ms 'How long this replica remembers a session user''s role and suspension, their enrollments and the modules they finished (for module locks), in milliseconds. Changes through another replica apply here within this time. 0 reads the database on every request'
            cand --shutdown-grace-secs 'Seconds to let in-flight requests finish after SIGINT/SIGTERM'
            cand --lab-idle-timeout-minutes 'Minutes without activity (a check report, a hint, a submission) after which a lab session expires, whatever its time limit'
            cand --lab-max-archive-bytes 'Largest accepted lab submission: the compressed workspace archive (`lab submit`)'
            cand --lab-max-workspace-bytes 'Largest total size of the files in a submitted lab workspace, uncompressed'
            cand --lab-max-archive-files 'Most files and folders a submitted lab workspace may hold'
            cand --billing-provider 'Payment provider'
            cand --billing-plans 'Premium plans, comma-separated, each `ID=AMOUNT+CURRENCY/INTERVAL` with the amount in major units and the interval `month` or `year`, as in `premium-monthly=12.00USD/month` [default: premium-monthly=12.00USD/month,premium-yearly=99.00USD/year]'
            cand --billing-grace-days 'Days premium lasts after a renewal fails, while the renewal is retried'
            cand --billing-retry-hours 'Hours between retries of a failed renewal (providers that do not retry by themselves)'
            cand --billing-checkout-minutes 'Minutes a sandbox checkout waits for its card before it is abandoned: the payment fails and its coupon redemption is given back (Stripe expires its own checkouts)'
            cand --billing-tax-basis-points 'Tax added to every payment, in basis points of the price after discounts (2000 is 20 %); 0 collects none and receipts show a tax of 0'
            cand --public-url 'The URL learners reach this server at, where a hosted checkout sends them back [default: http://<listen address>]'
            cand --stripe-api-base 'Stripe''s API address (a local server in tests)'
            cand --stripe-api-key-file 'File holding the Stripe API key (else CLOUDMASTER_STRIPE_API_KEY)'
            cand --stripe-webhook-secret-file 'File holding the Stripe webhook signing secret, one per line while one replaces another (else CLOUDMASTER_STRIPE_WEBHOOK_SECRET)'
            cand --stripe-webhook-tolerance-secs 'Seconds a webhook signature''s timestamp may be from now'
            cand --tutor-provider 'The tutor''s model provider'
            cand --tutor-base-url 'The provider''s API base URL [default: https://api.openai.com/v1 or https://api.anthropic.com/v1; Ollama is http://localhost:11434/v1]'
            cand --tutor-model 'The model to ask (required with a provider), such as `gpt-4o-mini`, `claude-sonnet-4-5` or `llama3.2`'
            cand --tutor-api-key-file 'File holding the provider''s API key (else CLOUDMASTER_TUTOR_API_KEY; local servers such as Ollama need none)'
            cand --tutor-timeout-secs 'Seconds to wait for the provider''s first token, and between two tokens, before the answer fails with `provider_timeout`'
            cand --tutor-max-answer-tokens 'The longest answer, in tokens'
            cand --tutor-daily-tokens-free 'Tokens (question and answer, as the provider counts them) a free learner may use per UTC day'
            cand --tutor-daily-tokens-premium 'Tokens a premium learner may use per UTC day'
            cand --ssh-listen 'Also serve the TUI over SSH on this address, such as 0.0.0.0:2222 [default: off]'
            cand --ssh-idle-timeout-minutes 'Minutes without a key press after which an SSH session says goodbye'
            cand --ssh-sessions-per-account 'SSH sessions one account may have open at once (on this server)'
            cand --ssh-sessions-per-key 'SSH sessions one key may have open at once (on this server)'
            cand --ssh-max-connections 'SSH connections open at once, signed in or not; more are closed at once'
            cand --smtp-url 'The SMTP relay that sends the server''s mail (reset codes): `smtp://host:25` (no TLS, for a relay on this machine), `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://user:pass@host:465`. Without it the server sends no mail. Give credentials in the environment rather than as a flag: flags show in `ps`'
            cand --mail-from 'The sender of the server''s mail'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --lab-script-checks 'Also run labs'' `command` and `script` checks on the server when grading a submission, instead of taking the learner''s reported results. They run learner-controlled files: enable only when the server itself runs inside a sandbox (a container or a VM)'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'cloudmaster;register'= {
            cand --email 'Email address (your login)'
            cand --name 'Your name, as others see it'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --password-stdin 'Read the password from the first line of stdin instead of prompting'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;login'= {
            cand --email 'Email address of the account'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --password-stdin 'Read the password from the first line of stdin instead of prompting'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;logout'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;whoami'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;token'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand create 'Create a token; its secret is printed once'
            cand list 'List your tokens (never their secrets)'
            cand revoke 'Revoke a token by id'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;token;create'= {
            cand --name 'A name to recognise the token by, such as `ci-publish`'
            cand --scope 'What the token may do: learn, publish or admin (repeatable); never more than your role'
            cand --expires-in-days 'Days until the token expires [default: never]'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;token;list'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;token;revoke'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;token;help'= {
            cand create 'Create a token; its secret is printed once'
            cand list 'List your tokens (never their secrets)'
            cand revoke 'Revoke a token by id'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;token;help;create'= {
        }
        &'cloudmaster;token;help;list'= {
        }
        &'cloudmaster;token;help;revoke'= {
        }
        &'cloudmaster;token;help;help'= {
        }
        &'cloudmaster;keys'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand add 'Link an SSH public key (a .pub file) to your account'
            cand list 'List the SSH keys linked to your account'
            cand remove 'Unlink an SSH key by id; it no longer signs in'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;keys;add'= {
            cand --name 'A name to recognise the key by [default: the key''s comment]'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;keys;list'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;keys;remove'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;keys;help'= {
            cand add 'Link an SSH public key (a .pub file) to your account'
            cand list 'List the SSH keys linked to your account'
            cand remove 'Unlink an SSH key by id; it no longer signs in'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;keys;help;add'= {
        }
        &'cloudmaster;keys;help;list'= {
        }
        &'cloudmaster;keys;help;remove'= {
        }
        &'cloudmaster;keys;help;help'= {
        }
        &'cloudmaster;password'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand change 'Change your password (asks for the current one; needs a login, not an API token)'
            cand forgot 'Forgot your password? Ask the server to mail a reset code to your address'
            cand reset 'Set a new password with a reset code (from the mail, or from an administrator); every session of the account ends'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;password;change'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --stdin 'Read the current password and then the new one from the first two lines of stdin instead of prompting'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;password;forgot'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;password;reset'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --stdin 'Read the code and then the new password from the first two lines of stdin instead of prompting'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;password;help'= {
            cand change 'Change your password (asks for the current one; needs a login, not an API token)'
            cand forgot 'Forgot your password? Ask the server to mail a reset code to your address'
            cand reset 'Set a new password with a reset code (from the mail, or from an administrator); every session of the account ends'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;password;help;change'= {
        }
        &'cloudmaster;password;help;forgot'= {
        }
        &'cloudmaster;password;help;reset'= {
        }
        &'cloudmaster;password;help;help'= {
        }
        &'cloudmaster;account'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand export 'Download everything the server keeps about your account, as JSON'
            cand delete 'Delete your account for good: your learning records, certificates, keys, tokens and tutor conversations go; payments stay, anonymous. Asks for your password and a confirmation (--yes)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;account;export'= {
            cand --out 'Write the JSON to FILE (created owner-only) instead of stdout'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;account;delete'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --password-stdin 'Read the password from the first line of stdin instead of prompting'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;account;help'= {
            cand export 'Download everything the server keeps about your account, as JSON'
            cand delete 'Delete your account for good: your learning records, certificates, keys, tokens and tutor conversations go; payments stay, anonymous. Asks for your password and a confirmation (--yes)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;account;help;export'= {
        }
        &'cloudmaster;account;help;delete'= {
        }
        &'cloudmaster;account;help;help'= {
        }
        &'cloudmaster;courses'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand list 'List published courses, optionally filtered'
            cand search 'Full-text search over titles, summaries and lesson text (when logged in, lessons still locked for you are marked)'
            cand show 'Show a course: summary, objectives, exam blueprint and outline'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;courses;list'= {
            cand --provider 'Only this provider (aws, kubernetes, terraform, ...)'
            cand --level 'Only this level (beginner, intermediate, advanced)'
            cand --tag 'Only courses with this tag'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --free 'Only free courses'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;courses;search'= {
            cand --limit 'At most this many results'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;courses;show'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;courses;help'= {
            cand list 'List published courses, optionally filtered'
            cand search 'Full-text search over titles, summaries and lesson text (when logged in, lessons still locked for you are marked)'
            cand show 'Show a course: summary, objectives, exam blueprint and outline'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;courses;help;list'= {
        }
        &'cloudmaster;courses;help;search'= {
        }
        &'cloudmaster;courses;help;show'= {
        }
        &'cloudmaster;courses;help;help'= {
        }
        &'cloudmaster;enroll'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;unenroll'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;progress'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;learn'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --plain 'Plain text: no colours and no pager, even on a terminal'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;lesson'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand show 'Show a lesson: rendered and paged on a terminal, plain text in a pipe'
            cand video 'Open a lesson''s video in the browser (or print its URL)'
            cand start 'Record that you started a lesson'
            cand done 'Record that you completed a lesson'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;lesson;show'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --plain 'Plain text: no colours and no pager, even on a terminal'
            cand --transcript 'Show the video''s transcript instead of the lesson text'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;lesson;video'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --print 'Only print the URL'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;lesson;start'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;lesson;done'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;lesson;help'= {
            cand show 'Show a lesson: rendered and paged on a terminal, plain text in a pipe'
            cand video 'Open a lesson''s video in the browser (or print its URL)'
            cand start 'Record that you started a lesson'
            cand done 'Record that you completed a lesson'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;lesson;help;show'= {
        }
        &'cloudmaster;lesson;help;video'= {
        }
        &'cloudmaster;lesson;help;start'= {
        }
        &'cloudmaster;lesson;help;done'= {
        }
        &'cloudmaster;lesson;help;help'= {
        }
        &'cloudmaster;quiz'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand list 'List a course''s module quizzes with your attempts and best score'
            cand start 'Take a quiz (or resume your open attempt); exits 0 when passed, 1 when not'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;quiz;list'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;quiz;start'= {
            cand --answers 'Answer from a YAML or JSON file mapping question ids to answers (`a`, `[a, c]`, `true`, `262.8`, `text`) instead of at the terminal'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --brief 'After submitting, show only the score and the per-domain table'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;quiz;help'= {
            cand list 'List a course''s module quizzes with your attempts and best score'
            cand start 'Take a quiz (or resume your open attempt); exits 0 when passed, 1 when not'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;quiz;help;list'= {
        }
        &'cloudmaster;quiz;help;start'= {
        }
        &'cloudmaster;quiz;help;help'= {
        }
        &'cloudmaster;exam'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand start 'Take the mock exam (or resume your open attempt); exits 0 when passed, 1 when not'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;exam;start'= {
            cand --answers 'Answer from a YAML or JSON file mapping question ids to answers (`a`, `[a, c]`, `true`, `262.8`, `text`) instead of at the terminal'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --brief 'After submitting, show only the score and the per-domain table'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;exam;help'= {
            cand start 'Take the mock exam (or resume your open attempt); exits 0 when passed, 1 when not'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;exam;help;start'= {
        }
        &'cloudmaster;exam;help;help'= {
        }
        &'cloudmaster;attempts'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand show 'Show one attempt: score, per-domain table, and each question with the right answer; for an open attempt, its questions with their options lettered as shown'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;attempts;show'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --brief 'Only the score and the per-domain table (for an open attempt, only where it stands)'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;attempts;help'= {
            cand show 'Show one attempt: score, per-domain table, and each question with the right answer; for an open attempt, its questions with their options lettered as shown'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;attempts;help;show'= {
        }
        &'cloudmaster;attempts;help;help'= {
        }
        &'cloudmaster;review'= {
            cand --course 'Only items of this course'
            cand --limit 'At most this many items [default: the server''s, 20]'
            cand --answers 'Answer from a YAML or JSON file mapping question ids to answers (as for `quiz start`), options named by the letters the items show (see --list)'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --list 'Only list the items due, each with its options lettered as it shows them; answers nothing'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;tutor'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand ask 'Ask one question; the answer streams as it is written, then the passages it cites'
            cand chat 'Talk with the tutor: questions and answers in one conversation until /quit or Ctrl-D'
            cand history 'List your conversations with the tutor, or show one'
            cand forget 'Delete a conversation, or all of them'
            cand budget 'Show the tutor tokens you used today, your daily budget and when it resets'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;tutor;ask'= {
            cand --course 'Ask about this course [default: the lab workspace''s course, else every course you are enrolled in]'
            cand --lesson 'The lesson you are reading: LESSON with --course, or COURSE/LESSON'
            cand --lab 'The lab workspace the question is about [default: the one holding the current folder, if any]'
            cand --conversation 'Continue this conversation (its id is in `cloudmaster tutor history`) [default: a new one]'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --speak 'Read the answer aloud afterwards with espeak-ng (or espeak), when installed'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'cloudmaster;tutor;chat'= {
            cand --course 'Ask about this course [default: the lab workspace''s course, else every course you are enrolled in]'
            cand --lesson 'The lesson you are reading: LESSON with --course, or COURSE/LESSON'
            cand --lab 'The lab workspace the question is about [default: the one holding the current folder, if any]'
            cand --conversation 'Continue this conversation (its id is in `cloudmaster tutor history`) [default: a new one]'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'cloudmaster;tutor;history'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'cloudmaster;tutor;forget'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --all 'Delete every conversation (asks first; --yes answers)'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'cloudmaster;tutor;budget'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'cloudmaster;tutor;help'= {
            cand ask 'Ask one question; the answer streams as it is written, then the passages it cites'
            cand chat 'Talk with the tutor: questions and answers in one conversation until /quit or Ctrl-D'
            cand history 'List your conversations with the tutor, or show one'
            cand forget 'Delete a conversation, or all of them'
            cand budget 'Show the tutor tokens you used today, your daily budget and when it resets'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;tutor;help;ask'= {
        }
        &'cloudmaster;tutor;help;chat'= {
        }
        &'cloudmaster;tutor;help;history'= {
        }
        &'cloudmaster;tutor;help;forget'= {
        }
        &'cloudmaster;tutor;help;budget'= {
        }
        &'cloudmaster;tutor;help;help'= {
        }
        &'cloudmaster;mastery'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;readiness'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;cert'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand list 'List your certificates'
            cand show 'Show a certificate and whether it was revoked'
            cand export 'Save a certificate: the signed file (default) or an Open Badges 3.0 credential'
            cand verify 'Check a certificate file''s signature with the issuer''s key, then its revocation'
            cand revoke 'Revoke a certificate (admin)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;cert;list'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;cert;show'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;cert;export'= {
            cand --format 'What to write'
            cand --out 'Write to this file instead of standard output'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'cloudmaster;cert;verify'= {
            cand --key 'The issuer''s key file (the server''s /.well-known/cloudmaster/issuer.json, saved) [default: the key saved for the server on the first online verify]'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --offline 'Check the signature only; do not ask the server whether the certificate was revoked'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;cert;revoke'= {
            cand --reason 'Why; shown to anyone who checks the certificate'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;cert;help'= {
            cand list 'List your certificates'
            cand show 'Show a certificate and whether it was revoked'
            cand export 'Save a certificate: the signed file (default) or an Open Badges 3.0 credential'
            cand verify 'Check a certificate file''s signature with the issuer''s key, then its revocation'
            cand revoke 'Revoke a certificate (admin)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;cert;help;list'= {
        }
        &'cloudmaster;cert;help;show'= {
        }
        &'cloudmaster;cert;help;export'= {
        }
        &'cloudmaster;cert;help;verify'= {
        }
        &'cloudmaster;cert;help;revoke'= {
        }
        &'cloudmaster;cert;help;help'= {
        }
        &'cloudmaster;lab'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand list 'List a course''s labs with your standing and the local tools they need'
            cand start 'Start (or resume) a lab session and write the starter files into a workspace folder'
            cand status 'Show the session of this workspace: time left, steps done, current step'
            cand check 'Run the current step''s checks locally; exits 0 only when they all pass'
            cand hint 'Reveal the next hint of the current step'
            cand solution 'Write a step''s solution into the workspace (after it passed, or skipping it)'
            cand submit 'Upload the workspace for grading; exits 0 only when the lab passes'
            cand reset 'Put the current step, another step or the whole lab back to how it starts'
            cand abandon 'End the session without finishing it (the workspace files stay)'
            cand test 'For authors: every step must fail on the starter files and pass after its solution'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;lab;list'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;lab;start'= {
            cand --dir 'Workspace folder [default: ./COURSE-LAB]'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --force 'Use DIR even though it holds other files (starter files are written over same-named ones)'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;lab;status'= {
            cand --dir 'The lab workspace [default: the one holding the current folder]'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;lab;check'= {
            cand --dir 'The lab workspace [default: the one holding the current folder]'
            cand --step 'Check this step instead of the current one'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --watch 'Check again whenever a file of the workspace changes, until every step passes (Ctrl-C stops)'
            cand --poll 'With --watch: notice changes by looking every 500 ms instead of by file-system notifications'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;lab;hint'= {
            cand --dir 'The lab workspace [default: the one holding the current folder]'
            cand --step 'A hint for this step instead of the current one'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;lab;solution'= {
            cand --dir 'The lab workspace [default: the one holding the current folder]'
            cand --step 'The solution of this step instead of the current one'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --skip 'Reveal it although the step has not passed: the step is skipped and gives no credit'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;lab;submit'= {
            cand --dir 'The lab workspace [default: the one holding the current folder]'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;lab;reset'= {
            cand --dir 'The lab workspace [default: the one holding the current folder]'
            cand --step 'Reset this step (and the files of the steps after it) instead of the current one'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --all 'Reset the whole lab to its starter files'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;lab;abandon'= {
            cand --dir 'The lab workspace [default: the one holding the current folder]'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;lab;test'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;lab;help'= {
            cand list 'List a course''s labs with your standing and the local tools they need'
            cand start 'Start (or resume) a lab session and write the starter files into a workspace folder'
            cand status 'Show the session of this workspace: time left, steps done, current step'
            cand check 'Run the current step''s checks locally; exits 0 only when they all pass'
            cand hint 'Reveal the next hint of the current step'
            cand solution 'Write a step''s solution into the workspace (after it passed, or skipping it)'
            cand submit 'Upload the workspace for grading; exits 0 only when the lab passes'
            cand reset 'Put the current step, another step or the whole lab back to how it starts'
            cand abandon 'End the session without finishing it (the workspace files stay)'
            cand test 'For authors: every step must fail on the starter files and pass after its solution'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;lab;help;list'= {
        }
        &'cloudmaster;lab;help;start'= {
        }
        &'cloudmaster;lab;help;status'= {
        }
        &'cloudmaster;lab;help;check'= {
        }
        &'cloudmaster;lab;help;hint'= {
        }
        &'cloudmaster;lab;help;solution'= {
        }
        &'cloudmaster;lab;help;submit'= {
        }
        &'cloudmaster;lab;help;reset'= {
        }
        &'cloudmaster;lab;help;abandon'= {
        }
        &'cloudmaster;lab;help;test'= {
        }
        &'cloudmaster;lab;help;help'= {
        }
        &'cloudmaster;course'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand new 'Scaffold a new course (a small valid course to start from)'
            cand validate 'Check a course or a catalog of courses; exits 1 when there are errors'
            cand preview 'Open the TUI on local course files, with no server: read the lessons, take the quizzes (graded here, with explanations), run the labs'' checks'
            cand versions 'List the published versions of a course'
            cand rollback 'Publish an earlier version''s content again, as a new version'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;course;new'= {
            cand --dir 'Folder to create [default: ./ID]'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;course;validate'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;course;preview'= {
            cand --lab-dir 'Folder for lab workspaces [default: a temporary folder, removed afterwards]'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;course;versions'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;course;rollback'= {
            cand --to 'The version whose content to restore'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;course;help'= {
            cand new 'Scaffold a new course (a small valid course to start from)'
            cand validate 'Check a course or a catalog of courses; exits 1 when there are errors'
            cand preview 'Open the TUI on local course files, with no server: read the lessons, take the quizzes (graded here, with explanations), run the labs'' checks'
            cand versions 'List the published versions of a course'
            cand rollback 'Publish an earlier version''s content again, as a new version'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;course;help;new'= {
        }
        &'cloudmaster;course;help;validate'= {
        }
        &'cloudmaster;course;help;preview'= {
        }
        &'cloudmaster;course;help;versions'= {
        }
        &'cloudmaster;course;help;rollback'= {
        }
        &'cloudmaster;course;help;help'= {
        }
        &'cloudmaster;publish'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --dry-run 'Show the plan and let the server validate it, without publishing'
            cand --skip-lab-tests 'Publish without testing the labs first (when this machine lacks the tools their checks run)'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;tui'= {
            cand --colors 'Colours to draw with: 16 (the named ANSI colours, for the Linux console and old terminals), 256 or truecolor [default: from COLORTERM and TERM: truecolor when COLORTERM says so, 256 when TERM has `256color`, else 16]'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;billing'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand plans 'List the premium plans (and the sandbox''s test cards)'
            cand status 'Show your tier, subscription and purchased courses'
            cand checkout 'Buy a course'
            cand subscribe 'Subscribe to a premium plan: every course opens while it lasts'
            cand cancel 'Cancel your subscription at the end of the period paid for'
            cand payments 'List your payments'
            cand receipt 'Show a payment''s receipt'
            cand refund 'Refund a payment, wholly or in part (admins)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;billing;plans'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;billing;status'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;billing;checkout'= {
            cand --coupon 'A coupon code'
            cand --card 'Sandbox servers: the test card to pay with (`cloudmaster billing plans` lists them); asked for when left out'
            cand --wait 'Seconds to wait for the payment to settle before giving up (it stays pending)'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --no-browser 'Do not open a browser on the provider''s payment page'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;billing;subscribe'= {
            cand --coupon 'A coupon code (for the first period)'
            cand --card 'Sandbox servers: the test card to pay with (`cloudmaster billing plans` lists them); asked for when left out'
            cand --wait 'Seconds to wait for the payment to settle before giving up (it stays pending)'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --no-browser 'Do not open a browser on the provider''s payment page'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;billing;cancel'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;billing;payments'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;billing;receipt'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;billing;refund'= {
            cand --amount 'Amount in the payment''s currency, such as 10.00 [default: all that is left]'
            cand --reason 'Why, kept in the payment''s history'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;billing;help'= {
            cand plans 'List the premium plans (and the sandbox''s test cards)'
            cand status 'Show your tier, subscription and purchased courses'
            cand checkout 'Buy a course'
            cand subscribe 'Subscribe to a premium plan: every course opens while it lasts'
            cand cancel 'Cancel your subscription at the end of the period paid for'
            cand payments 'List your payments'
            cand receipt 'Show a payment''s receipt'
            cand refund 'Refund a payment, wholly or in part (admins)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;billing;help;plans'= {
        }
        &'cloudmaster;billing;help;status'= {
        }
        &'cloudmaster;billing;help;checkout'= {
        }
        &'cloudmaster;billing;help;subscribe'= {
        }
        &'cloudmaster;billing;help;cancel'= {
        }
        &'cloudmaster;billing;help;payments'= {
        }
        &'cloudmaster;billing;help;receipt'= {
        }
        &'cloudmaster;billing;help;refund'= {
        }
        &'cloudmaster;billing;help;help'= {
        }
        &'cloudmaster;admin'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand users 'List accounts, change a role, suspend an account or lift its suspension'
            cand revenue 'Revenue per day, course or plan, and currency, refunds netted'
            cand coupons 'Create, list and disable coupons'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;admin;users'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand list 'List every account, oldest first, with its role, tier and whether it is suspended'
            cand role 'Change an account''s role (from its next request on)'
            cand suspend 'Suspend an account: it cannot log in, its sessions, API tokens and SSH keys are refused, its TUI sessions over SSH end; nothing of it is deleted'
            cand unsuspend 'Lift an account''s suspension: its sessions and tokens work again'
            cand reset-password 'Make a code that resets an account''s password (works once, for 30 minutes), to hand to its owner, who runs `cloudmaster password reset`; nothing is mailed'
            cand export 'Export everything kept about an account as JSON, for its owner (a data access request)'
            cand delete 'Erase an account (a data erasure request): its sessions, tokens, keys, learning records, certificates and tutor conversations are deleted; its payments stay, against an anonymous account. Asks for confirmation (--yes)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;admin;users;list'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;admin;users;role'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;admin;users;suspend'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;admin;users;unsuspend'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;admin;users;reset-password'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;admin;users;export'= {
            cand --out 'Write the JSON to FILE (created owner-only) instead of stdout'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;admin;users;delete'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;admin;users;help'= {
            cand list 'List every account, oldest first, with its role, tier and whether it is suspended'
            cand role 'Change an account''s role (from its next request on)'
            cand suspend 'Suspend an account: it cannot log in, its sessions, API tokens and SSH keys are refused, its TUI sessions over SSH end; nothing of it is deleted'
            cand unsuspend 'Lift an account''s suspension: its sessions and tokens work again'
            cand reset-password 'Make a code that resets an account''s password (works once, for 30 minutes), to hand to its owner, who runs `cloudmaster password reset`; nothing is mailed'
            cand export 'Export everything kept about an account as JSON, for its owner (a data access request)'
            cand delete 'Erase an account (a data erasure request): its sessions, tokens, keys, learning records, certificates and tutor conversations are deleted; its payments stay, against an anonymous account. Asks for confirmation (--yes)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;admin;users;help;list'= {
        }
        &'cloudmaster;admin;users;help;role'= {
        }
        &'cloudmaster;admin;users;help;suspend'= {
        }
        &'cloudmaster;admin;users;help;unsuspend'= {
        }
        &'cloudmaster;admin;users;help;reset-password'= {
        }
        &'cloudmaster;admin;users;help;export'= {
        }
        &'cloudmaster;admin;users;help;delete'= {
        }
        &'cloudmaster;admin;users;help;help'= {
        }
        &'cloudmaster;admin;revenue'= {
            cand --to 'The last day, YYYY-MM-DD (UTC) [default: today]'
            cand --days 'How many days up to --to, 1 to 366 [default: 30]'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;admin;coupons'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand create 'Create a coupon'
            cand list 'List every coupon'
            cand disable 'Disable a coupon: no new checkout can use it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;admin;coupons;create'= {
            cand --percent-off 'Per cent off, 1 to 100'
            cand --amount-off 'An amount off, such as 10.00 (with --currency)'
            cand --currency 'The currency of --amount-off, such as USD'
            cand --course 'Only for this course [default: every course and plan]'
            cand --expires 'When it stops working: an RFC 3339 time, such as 2027-01-31T23:59:59Z'
            cand --max-redemptions 'How many checkouts may use it [default: no limit]'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;admin;coupons;list'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;admin;coupons;disable'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;admin;coupons;help'= {
            cand create 'Create a coupon'
            cand list 'List every coupon'
            cand disable 'Disable a coupon: no new checkout can use it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;admin;coupons;help;create'= {
        }
        &'cloudmaster;admin;coupons;help;list'= {
        }
        &'cloudmaster;admin;coupons;help;disable'= {
        }
        &'cloudmaster;admin;coupons;help;help'= {
        }
        &'cloudmaster;admin;help'= {
            cand users 'List accounts, change a role, suspend an account or lift its suspension'
            cand revenue 'Revenue per day, course or plan, and currency, refunds netted'
            cand coupons 'Create, list and disable coupons'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;admin;help;users'= {
            cand list 'List every account, oldest first, with its role, tier and whether it is suspended'
            cand role 'Change an account''s role (from its next request on)'
            cand suspend 'Suspend an account: it cannot log in, its sessions, API tokens and SSH keys are refused, its TUI sessions over SSH end; nothing of it is deleted'
            cand unsuspend 'Lift an account''s suspension: its sessions and tokens work again'
            cand reset-password 'Make a code that resets an account''s password (works once, for 30 minutes), to hand to its owner, who runs `cloudmaster password reset`; nothing is mailed'
            cand export 'Export everything kept about an account as JSON, for its owner (a data access request)'
            cand delete 'Erase an account (a data erasure request): its sessions, tokens, keys, learning records, certificates and tutor conversations are deleted; its payments stay, against an anonymous account. Asks for confirmation (--yes)'
        }
        &'cloudmaster;admin;help;users;list'= {
        }
        &'cloudmaster;admin;help;users;role'= {
        }
        &'cloudmaster;admin;help;users;suspend'= {
        }
        &'cloudmaster;admin;help;users;unsuspend'= {
        }
        &'cloudmaster;admin;help;users;reset-password'= {
        }
        &'cloudmaster;admin;help;users;export'= {
        }
        &'cloudmaster;admin;help;users;delete'= {
        }
        &'cloudmaster;admin;help;revenue'= {
        }
        &'cloudmaster;admin;help;coupons'= {
            cand create 'Create a coupon'
            cand list 'List every coupon'
            cand disable 'Disable a coupon: no new checkout can use it'
        }
        &'cloudmaster;admin;help;coupons;create'= {
        }
        &'cloudmaster;admin;help;coupons;list'= {
        }
        &'cloudmaster;admin;help;coupons;disable'= {
        }
        &'cloudmaster;admin;help;help'= {
        }
        &'cloudmaster;config'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand path 'Print the path of config.toml (-o json: every path)'
            cand show 'Show the settings in force and where each comes from'
            cand set 'Set a key in config.toml: server, output, timeout_seconds, credentials (for the current profile), profiles.NAME.KEY, or default_profile'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;config;path'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;config;show'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;config;set'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;config;help'= {
            cand path 'Print the path of config.toml (-o json: every path)'
            cand show 'Show the settings in force and where each comes from'
            cand set 'Set a key in config.toml: server, output, timeout_seconds, credentials (for the current profile), profiles.NAME.KEY, or default_profile'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;config;help;path'= {
        }
        &'cloudmaster;config;help;show'= {
        }
        &'cloudmaster;config;help;set'= {
        }
        &'cloudmaster;config;help;help'= {
        }
        &'cloudmaster;doctor'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;completions'= {
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;generate-docs'= {
            cand --out 'The folder to write completions/ and man/ into'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'cloudmaster;help'= {
            cand quickstart 'Start a local server with the bundled courses, log in as a demo learner, open the TUI'
            cand serve 'Run the server (same as the cloudmaster-server binary)'
            cand register 'Create an account and log in'
            cand login 'Log in and store the session'
            cand logout 'Revoke the session on the server and forget it here'
            cand whoami 'Show who you are logged in as, and with which credential'
            cand token 'Manage personal API tokens (for CI)'
            cand keys 'Link SSH public keys to your account, to use the TUI over SSH'
            cand password 'Change your password, or reset a forgotten one with a mailed code'
            cand account 'Download everything the server keeps about your account, or delete it'
            cand courses 'Browse the catalog'
            cand enroll 'Enroll in a course'
            cand unenroll 'Leave a course'
            cand progress 'Show your progress in every enrolled course, or in one'
            cand learn 'Open the next lesson of a course (where you left off)'
            cand lesson 'Read lessons and record progress'
            cand quiz 'List and take module quizzes'
            cand exam 'Take a course''s timed mock exam'
            cand attempts 'List your quiz and exam attempts, or show one'
            cand review 'Answer the spaced-review questions that are due'
            cand tutor 'Ask the AI tutor about your courses and labs; see its conversations and budget'
            cand mastery 'Show your mastery per exam domain and skill'
            cand readiness 'Predict your chance of passing the certification exam'
            cand cert 'List, show, verify and export certificates'
            cand lab 'Hands-on labs: start, check, hint, submit, reset, abandon, test'
            cand course 'Author courses: scaffold, validate, list versions, roll back'
            cand publish 'Validate and publish a course or a catalog of courses'
            cand tui 'Open the terminal UI against the server you are logged in to'
            cand billing 'Buy courses and premium, see payments and receipts, cancel, refund'
            cand admin 'Administration: accounts, revenue and coupons'
            cand config 'Show or change the configuration'
            cand doctor 'Check configuration, server, credentials and lab tools'
            cand completions 'Print shell completions'
            cand generate-docs 'Write completions/ and man/ (for maintainers)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;help;quickstart'= {
        }
        &'cloudmaster;help;serve'= {
        }
        &'cloudmaster;help;register'= {
        }
        &'cloudmaster;help;login'= {
        }
        &'cloudmaster;help;logout'= {
        }
        &'cloudmaster;help;whoami'= {
        }
        &'cloudmaster;help;token'= {
            cand create 'Create a token; its secret is printed once'
            cand list 'List your tokens (never their secrets)'
            cand revoke 'Revoke a token by id'
        }
        &'cloudmaster;help;token;create'= {
        }
        &'cloudmaster;help;token;list'= {
        }
        &'cloudmaster;help;token;revoke'= {
        }
        &'cloudmaster;help;keys'= {
            cand add 'Link an SSH public key (a .pub file) to your account'
            cand list 'List the SSH keys linked to your account'
            cand remove 'Unlink an SSH key by id; it no longer signs in'
        }
        &'cloudmaster;help;keys;add'= {
        }
        &'cloudmaster;help;keys;list'= {
        }
        &'cloudmaster;help;keys;remove'= {
        }
        &'cloudmaster;help;password'= {
            cand change 'Change your password (asks for the current one; needs a login, not an API token)'
            cand forgot 'Forgot your password? Ask the server to mail a reset code to your address'
            cand reset 'Set a new password with a reset code (from the mail, or from an administrator); every session of the account ends'
        }
        &'cloudmaster;help;password;change'= {
        }
        &'cloudmaster;help;password;forgot'= {
        }
        &'cloudmaster;help;password;reset'= {
        }
        &'cloudmaster;help;account'= {
            cand export 'Download everything the server keeps about your account, as JSON'
            cand delete 'Delete your account for good: your learning records, certificates, keys, tokens and tutor conversations go; payments stay, anonymous. Asks for your password and a confirmation (--yes)'
        }
        &'cloudmaster;help;account;export'= {
        }
        &'cloudmaster;help;account;delete'= {
        }
        &'cloudmaster;help;courses'= {
            cand list 'List published courses, optionally filtered'
            cand search 'Full-text search over titles, summaries and lesson text (when logged in, lessons still locked for you are marked)'
            cand show 'Show a course: summary, objectives, exam blueprint and outline'
        }
        &'cloudmaster;help;courses;list'= {
        }
        &'cloudmaster;help;courses;search'= {
        }
        &'cloudmaster;help;courses;show'= {
        }
        &'cloudmaster;help;enroll'= {
        }
        &'cloudmaster;help;unenroll'= {
        }
        &'cloudmaster;help;progress'= {
        }
        &'cloudmaster;help;learn'= {
        }
        &'cloudmaster;help;lesson'= {
            cand show 'Show a lesson: rendered and paged on a terminal, plain text in a pipe'
            cand video 'Open a lesson''s video in the browser (or print its URL)'
            cand start 'Record that you started a lesson'
            cand done 'Record that you completed a lesson'
        }
        &'cloudmaster;help;lesson;show'= {
        }
        &'cloudmaster;help;lesson;video'= {
        }
        &'cloudmaster;help;lesson;start'= {
        }
        &'cloudmaster;help;lesson;done'= {
        }
        &'cloudmaster;help;quiz'= {
            cand list 'List a course''s module quizzes with your attempts and best score'
            cand start 'Take a quiz (or resume your open attempt); exits 0 when passed, 1 when not'
        }
        &'cloudmaster;help;quiz;list'= {
        }
        &'cloudmaster;help;quiz;start'= {
        }
        &'cloudmaster;help;exam'= {
            cand start 'Take the mock exam (or resume your open attempt); exits 0 when passed, 1 when not'
        }
        &'cloudmaster;help;exam;start'= {
        }
        &'cloudmaster;help;attempts'= {
            cand show 'Show one attempt: score, per-domain table, and each question with the right answer; for an open attempt, its questions with their options lettered as shown'
        }
        &'cloudmaster;help;attempts;show'= {
        }
        &'cloudmaster;help;review'= {
        }
        &'cloudmaster;help;tutor'= {
            cand ask 'Ask one question; the answer streams as it is written, then the passages it cites'
            cand chat 'Talk with the tutor: questions and answers in one conversation until /quit or Ctrl-D'
            cand history 'List your conversations with the tutor, or show one'
            cand forget 'Delete a conversation, or all of them'
            cand budget 'Show the tutor tokens you used today, your daily budget and when it resets'
        }
        &'cloudmaster;help;tutor;ask'= {
        }
        &'cloudmaster;help;tutor;chat'= {
        }
        &'cloudmaster;help;tutor;history'= {
        }
        &'cloudmaster;help;tutor;forget'= {
        }
        &'cloudmaster;help;tutor;budget'= {
        }
        &'cloudmaster;help;mastery'= {
        }
        &'cloudmaster;help;readiness'= {
        }
        &'cloudmaster;help;cert'= {
            cand list 'List your certificates'
            cand show 'Show a certificate and whether it was revoked'
            cand export 'Save a certificate: the signed file (default) or an Open Badges 3.0 credential'
            cand verify 'Check a certificate file''s signature with the issuer''s key, then its revocation'
            cand revoke 'Revoke a certificate (admin)'
        }
        &'cloudmaster;help;cert;list'= {
        }
        &'cloudmaster;help;cert;show'= {
        }
        &'cloudmaster;help;cert;export'= {
        }
        &'cloudmaster;help;cert;verify'= {
        }
        &'cloudmaster;help;cert;revoke'= {
        }
        &'cloudmaster;help;lab'= {
            cand list 'List a course''s labs with your standing and the local tools they need'
            cand start 'Start (or resume) a lab session and write the starter files into a workspace folder'
            cand status 'Show the session of this workspace: time left, steps done, current step'
            cand check 'Run the current step''s checks locally; exits 0 only when they all pass'
            cand hint 'Reveal the next hint of the current step'
            cand solution 'Write a step''s solution into the workspace (after it passed, or skipping it)'
            cand submit 'Upload the workspace for grading; exits 0 only when the lab passes'
            cand reset 'Put the current step, another step or the whole lab back to how it starts'
            cand abandon 'End the session without finishing it (the workspace files stay)'
            cand test 'For authors: every step must fail on the starter files and pass after its solution'
        }
        &'cloudmaster;help;lab;list'= {
        }
        &'cloudmaster;help;lab;start'= {
        }
        &'cloudmaster;help;lab;status'= {
        }
        &'cloudmaster;help;lab;check'= {
        }
        &'cloudmaster;help;lab;hint'= {
        }
        &'cloudmaster;help;lab;solution'= {
        }
        &'cloudmaster;help;lab;submit'= {
        }
        &'cloudmaster;help;lab;reset'= {
        }
        &'cloudmaster;help;lab;abandon'= {
        }
        &'cloudmaster;help;lab;test'= {
        }
        &'cloudmaster;help;course'= {
            cand new 'Scaffold a new course (a small valid course to start from)'
            cand validate 'Check a course or a catalog of courses; exits 1 when there are errors'
            cand preview 'Open the TUI on local course files, with no server: read the lessons, take the quizzes (graded here, with explanations), run the labs'' checks'
            cand versions 'List the published versions of a course'
            cand rollback 'Publish an earlier version''s content again, as a new version'
        }
        &'cloudmaster;help;course;new'= {
        }
        &'cloudmaster;help;course;validate'= {
        }
        &'cloudmaster;help;course;preview'= {
        }
        &'cloudmaster;help;course;versions'= {
        }
        &'cloudmaster;help;course;rollback'= {
        }
        &'cloudmaster;help;publish'= {
        }
        &'cloudmaster;help;tui'= {
        }
        &'cloudmaster;help;billing'= {
            cand plans 'List the premium plans (and the sandbox''s test cards)'
            cand status 'Show your tier, subscription and purchased courses'
            cand checkout 'Buy a course'
            cand subscribe 'Subscribe to a premium plan: every course opens while it lasts'
            cand cancel 'Cancel your subscription at the end of the period paid for'
            cand payments 'List your payments'
            cand receipt 'Show a payment''s receipt'
            cand refund 'Refund a payment, wholly or in part (admins)'
        }
        &'cloudmaster;help;billing;plans'= {
        }
        &'cloudmaster;help;billing;status'= {
        }
        &'cloudmaster;help;billing;checkout'= {
        }
        &'cloudmaster;help;billing;subscribe'= {
        }
        &'cloudmaster;help;billing;cancel'= {
        }
        &'cloudmaster;help;billing;payments'= {
        }
        &'cloudmaster;help;billing;receipt'= {
        }
        &'cloudmaster;help;billing;refund'= {
        }
        &'cloudmaster;help;admin'= {
            cand users 'List accounts, change a role, suspend an account or lift its suspension'
            cand revenue 'Revenue per day, course or plan, and currency, refunds netted'
            cand coupons 'Create, list and disable coupons'
        }
        &'cloudmaster;help;admin;users'= {
            cand list 'List every account, oldest first, with its role, tier and whether it is suspended'
            cand role 'Change an account''s role (from its next request on)'
            cand suspend 'Suspend an account: it cannot log in, its sessions, API tokens and SSH keys are refused, its TUI sessions over SSH end; nothing of it is deleted'
            cand unsuspend 'Lift an account''s suspension: its sessions and tokens work again'
            cand reset-password 'Make a code that resets an account''s password (works once, for 30 minutes), to hand to its owner, who runs `cloudmaster password reset`; nothing is mailed'
            cand export 'Export everything kept about an account as JSON, for its owner (a data access request)'
            cand delete 'Erase an account (a data erasure request): its sessions, tokens, keys, learning records, certificates and tutor conversations are deleted; its payments stay, against an anonymous account. Asks for confirmation (--yes)'
        }
        &'cloudmaster;help;admin;users;list'= {
        }
        &'cloudmaster;help;admin;users;role'= {
        }
        &'cloudmaster;help;admin;users;suspend'= {
        }
        &'cloudmaster;help;admin;users;unsuspend'= {
        }
        &'cloudmaster;help;admin;users;reset-password'= {
        }
        &'cloudmaster;help;admin;users;export'= {
        }
        &'cloudmaster;help;admin;users;delete'= {
        }
        &'cloudmaster;help;admin;revenue'= {
        }
        &'cloudmaster;help;admin;coupons'= {
            cand create 'Create a coupon'
            cand list 'List every coupon'
            cand disable 'Disable a coupon: no new checkout can use it'
        }
        &'cloudmaster;help;admin;coupons;create'= {
        }
        &'cloudmaster;help;admin;coupons;list'= {
        }
        &'cloudmaster;help;admin;coupons;disable'= {
        }
        &'cloudmaster;help;config'= {
            cand path 'Print the path of config.toml (-o json: every path)'
            cand show 'Show the settings in force and where each comes from'
            cand set 'Set a key in config.toml: server, output, timeout_seconds, credentials (for the current profile), profiles.NAME.KEY, or default_profile'
        }
        &'cloudmaster;help;config;path'= {
        }
        &'cloudmaster;help;config;show'= {
        }
        &'cloudmaster;help;config;set'= {
        }
        &'cloudmaster;help;doctor'= {
        }
        &'cloudmaster;help;completions'= {
        }
        &'cloudmaster;help;generate-docs'= {
        }
        &'cloudmaster;help;help'= {
        }
    ]
    $completions[$command]
}
