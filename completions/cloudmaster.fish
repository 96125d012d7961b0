# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_cloudmaster_global_optspecs
    string join \n server= profile= o/output= quiet no-color yes h/help V/version
end

function __fish_cloudmaster_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_cloudmaster_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_cloudmaster_using_subcommand
    set -l cmd (__fish_cloudmaster_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -s V -l version -d 'Print version'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "quickstart" -d 'Start a local server with the bundled courses, log in as a demo learner, open the TUI'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "serve" -d 'Run the server (same as the cloudmaster-server binary)'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "register" -d 'Create an account and log in'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "login" -d 'Log in and store the session'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "logout" -d 'Revoke the session on the server and forget it here'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "whoami" -d 'Show who you are logged in as, and with which credential'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "token" -d 'Manage personal API tokens (for CI)'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "keys" -d 'Link SSH public keys to your account, to use the TUI over SSH'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "password" -d 'Change your password, or reset a forgotten one with a mailed code'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "account" -d 'Download everything the server keeps about your account, or delete it'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "courses" -d 'Browse the catalog'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "enroll" -d 'Enroll in a course'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "unenroll" -d 'Leave a course'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "progress" -d 'Show your progress in every enrolled course, or in one'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "learn" -d 'Open the next lesson of a course (where you left off)'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "lesson" -d 'Read lessons and record progress'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "quiz" -d 'List and take module quizzes'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "exam" -d 'Take a course\'s timed mock exam'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "attempts" -d 'List your quiz and exam attempts, or show one'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "review" -d 'Answer the spaced-review questions that are due'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "tutor" -d 'Ask the AI tutor about your courses and labs; see its conversations and budget'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "mastery" -d 'Show your mastery per exam domain and skill'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "readiness" -d 'Predict your chance of passing the certification exam'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "cert" -d 'List, show, verify and export certificates'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "lab" -d 'Hands-on labs: start, check, hint, submit, reset, abandon, test'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "course" -d 'Author courses: scaffold, validate, list versions, roll back'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "publish" -d 'Validate and publish a course or a catalog of courses'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "tui" -d 'Open the terminal UI against the server you are logged in to'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "billing" -d 'Buy courses and premium, see payments and receipts, cancel, refund'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "admin" -d 'Administration: accounts, revenue and coupons'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "config" -d 'Show or change the configuration'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "doctor" -d 'Check configuration, server, credentials and lab tools'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "generate-docs" -d 'Write completions/ and man/ (for maintainers)'
complete -c cloudmaster -n "__fish_cloudmaster_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quickstart" -l listen -d 'Address to listen on (127.0.0.1:0 picks a free port)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quickstart" -l data-dir -d 'Folder for the database and catalog [default: $XDG_DATA_HOME/cloudmaster/quickstart]' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quickstart" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quickstart" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quickstart" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quickstart" -l no-tui -d 'Do not open the TUI; just serve until Ctrl-C'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quickstart" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quickstart" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quickstart" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quickstart" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l listen -d 'Address to listen on (port 0 picks a free port; see --url-file)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l url-file -d 'Once listening, write the server\'s URL to this file (how a script learns the port picked for `--listen 127.0.0.1:0`)' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l database-url -d 'Database URL: `sqlite://PATH` or `postgres://...` [default: sqlite://<data-dir>/cloudmaster.db]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l data-dir -d 'Directory for the embedded database and other server data' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l key-dir -d 'Directory of the token and certificate signing keys, readable only by the server\'s user. Replicas on one PostgreSQL database must all be given the same one (a shared mounted secret directory) [default: <data-dir>/keys]' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l pool-size -d 'Maximum database connections of this replica' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l log-format -d 'Log format' -r -f -a "text\t'Human-readable lines'
json\t'One JSON object per line, for log shippers'"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l max-body-bytes -d 'Largest accepted request body, except publishing' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l max-publish-bytes -d 'Largest accepted course bundle (publish)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l rate-limit-free -d 'Requests per rate-limit window for free learners (0 = unlimited)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l rate-limit-premium -d 'Requests per window for premium learners (0 = unlimited)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l rate-limit-staff -d 'Requests per window for instructors and admins (0 = unlimited)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l rate-limit-anonymous -d 'Requests per window for unauthenticated clients, per IP address (0 = unlimited)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l rate-limit-window-secs -d 'Length of the fixed rate-limit window, in seconds' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l trust-forwarded-for -d 'Proxy networks (CIDRs or addresses, comma-separated) whose `X-Forwarded-For` is believed. A request from one of them is attributed to the rightmost address in `X-Forwarded-For` that is not itself a trusted proxy; from anywhere else, to the TCP peer. Empty (the default): the header is ignored' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l rate-limit-login -d 'Login attempts per client address per minute' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l rate-limit-register -d 'Registrations per client address per hour' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l rate-limit-refresh -d 'Refresh-token exchanges (and logouts) per client address per minute' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l rate-limit-password-reset -d 'Password-reset requests and redemptions per client address per hour' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l argon2-memory-kib -d 'Argon2id memory per password hash, in KiB. Changing a cost parameter re-hashes each password at its owner\'s next login' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l argon2-iterations -d 'Argon2id passes over memory per password hash' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l argon2-parallelism -d 'Argon2id lanes per password hash' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l password-hash-threads -d 'Password hashes computed at once (each holds its Argon2 memory) [default: CPUs]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l password-hash-queue -d 'Password hashes allowed to wait for a thread; beyond that, login, registration and password change answer 503 with `Retry-After`' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l password-hash-wait-ms -d 'Longest a password hash waits for a thread, in milliseconds, before 503' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l catalog-cache-ms -d 'How long this replica serves the catalog from memory before re-reading it, in milliseconds. A publish through this replica shows at once; through another one within this time. 0 re-reads on every request' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l auth-cache-ms -d 'How long this replica remembers a session user\'s role and suspension, their enrollments and the modules they finished (for module locks), in milliseconds. Changes through another replica apply here within this time. 0 reads the database on every request' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l shutdown-grace-secs -d 'Seconds to let in-flight requests finish after SIGINT/SIGTERM' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l lab-idle-timeout-minutes -d 'Minutes without activity (a check report, a hint, a submission) after which a lab session expires, whatever its time limit' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l lab-max-archive-bytes -d 'Largest accepted lab submission: the compressed workspace archive (`lab submit`)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l lab-max-workspace-bytes -d 'Largest total size of the files in a submitted lab workspace, uncompressed' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l lab-max-archive-files -d 'Most files and folders a submitted lab workspace may hold' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l billing-provider -d 'Payment provider' -r -f -a "sandbox\t'Built in: test cards, no money (the default, so a new server can sell at once)'
stripe\t'Stripe: Checkout Sessions, refunds, signed webhooks'"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l billing-plans -d 'Premium plans, comma-separated, each `ID=AMOUNT+CURRENCY/INTERVAL` with the amount in major units and the interval `month` or `year`, as in `premium-monthly=12.00USD/month` [default: premium-monthly=12.00USD/month,premium-yearly=99.00USD/year]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l billing-grace-days -d 'Days premium lasts after a renewal fails, while the renewal is retried' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l billing-retry-hours -d 'Hours between retries of a failed renewal (providers that do not retry by themselves)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l billing-checkout-minutes -d 'Minutes a sandbox checkout waits for its card before it is abandoned: the payment fails and its coupon redemption is given back (Stripe expires its own checkouts)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l billing-tax-basis-points -d 'Tax added to every payment, in basis points of the price after discounts (2000 is 20 %); 0 collects none and receipts show a tax of 0' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l public-url -d 'The URL learners reach this server at, where a hosted checkout sends them back [default: http://<listen address>]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l stripe-api-base -d 'Stripe\'s API address (a local server in tests)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l stripe-api-key-file -d 'File holding the Stripe API key (else CLOUDMASTER_STRIPE_API_KEY)' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l stripe-webhook-secret-file -d 'File holding the Stripe webhook signing secret, one per line while one replaces another (else CLOUDMASTER_STRIPE_WEBHOOK_SECRET)' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l stripe-webhook-tolerance-secs -d 'Seconds a webhook signature\'s timestamp may be from now' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l tutor-provider -d 'The tutor\'s model provider' -r -f -a "none\t'No model: the tutor answers with the best-matching passages, retrieval only'
openai\t'Any OpenAI-compatible chat completions API: OpenAI, Ollama, vLLM, llama.cpp\'s server, LM Studio'
anthropic\t'Anthropic\'s Messages API'"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l tutor-base-url -d 'The provider\'s API base URL [default: https://api.openai.com/v1 or https://api.anthropic.com/v1; Ollama is http://localhost:11434/v1]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l tutor-model -d 'The model to ask (required with a provider), such as `gpt-4o-mini`, `claude-sonnet-4-5` or `llama3.2`' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l tutor-api-key-file -d 'File holding the provider\'s API key (else CLOUDMASTER_TUTOR_API_KEY; local servers such as Ollama need none)' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l tutor-timeout-secs -d 'Seconds to wait for the provider\'s first token, and between two tokens, before the answer fails with `provider_timeout`' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l tutor-max-answer-tokens -d 'The longest answer, in tokens' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l tutor-daily-tokens-free -d 'Tokens (question and answer, as the provider counts them) a free learner may use per UTC day' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l tutor-daily-tokens-premium -d 'Tokens a premium learner may use per UTC day' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l ssh-listen -d 'Also serve the TUI over SSH on this address, such as 0.0.0.0:2222 [default: off]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l ssh-idle-timeout-minutes -d 'Minutes without a key press after which an SSH session says goodbye' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l ssh-sessions-per-account -d 'SSH sessions one account may have open at once (on this server)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l ssh-sessions-per-key -d 'SSH sessions one key may have open at once (on this server)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l ssh-max-connections -d 'SSH connections open at once, signed in or not; more are closed at once' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l smtp-url -d 'The SMTP relay that sends the server\'s mail (reset codes): `smtp://host:25` (no TLS, for a relay on this machine), `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://user:pass@host:465`. Without it the server sends no mail. Give credentials in the environment rather than as a flag: flags show in `ps`' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l mail-from -d 'The sender of the server\'s mail' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l lab-script-checks -d 'Also run labs\' `command` and `script` checks on the server when grading a submission, instead of taking the learner\'s reported results. They run learner-controlled files: enable only when the server itself runs inside a sandbox (a container or a VM)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand register" -l email -d 'Email address (your login)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand register" -l name -d 'Your name, as others see it' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand register" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand register" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand register" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand register" -l password-stdin -d 'Read the password from the first line of stdin instead of prompting'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand register" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand register" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand register" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand register" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand login" -l email -d 'Email address of the account' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand login" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand login" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand login" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand login" -l password-stdin -d 'Read the password from the first line of stdin instead of prompting'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand login" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand login" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand login" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand login" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand logout" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand logout" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand logout" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand logout" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand logout" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand logout" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand logout" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand whoami" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand whoami" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand whoami" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand whoami" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand whoami" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand whoami" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand whoami" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -f -a "create" -d 'Create a token; its secret is printed once'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -f -a "list" -d 'List your tokens (never their secrets)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -f -a "revoke" -d 'Revoke a token by id'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and not __fish_seen_subcommand_from create list revoke help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from create" -l name -d 'A name to recognise the token by, such as `ci-publish`' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from create" -l scope -d 'What the token may do: learn, publish or admin (repeatable); never more than your role' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from create" -l expires-in-days -d 'Days until the token expires [default: never]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from create" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from create" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from create" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from create" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from create" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from create" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from list" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from list" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from list" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from list" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from list" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from revoke" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from revoke" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from revoke" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from revoke" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from revoke" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from revoke" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a token; its secret is printed once'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "list" -d 'List your tokens (never their secrets)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke a token by id'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand token; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and not __fish_seen_subcommand_from add list remove help" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and not __fish_seen_subcommand_from add list remove help" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and not __fish_seen_subcommand_from add list remove help" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and not __fish_seen_subcommand_from add list remove help" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and not __fish_seen_subcommand_from add list remove help" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and not __fish_seen_subcommand_from add list remove help" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and not __fish_seen_subcommand_from add list remove help" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and not __fish_seen_subcommand_from add list remove help" -f -a "add" -d 'Link an SSH public key (a .pub file) to your account'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and not __fish_seen_subcommand_from add list remove help" -f -a "list" -d 'List the SSH keys linked to your account'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and not __fish_seen_subcommand_from add list remove help" -f -a "remove" -d 'Unlink an SSH key by id; it no longer signs in'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and not __fish_seen_subcommand_from add list remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from add" -l name -d 'A name to recognise the key by [default: the key\'s comment]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from add" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from add" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from add" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from add" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from add" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from add" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from list" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from list" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from list" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from list" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from list" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from remove" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from remove" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from remove" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from remove" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from remove" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from remove" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "add" -d 'Link an SSH public key (a .pub file) to your account'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the SSH keys linked to your account'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Unlink an SSH key by id; it no longer signs in'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and not __fish_seen_subcommand_from change forgot reset help" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and not __fish_seen_subcommand_from change forgot reset help" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and not __fish_seen_subcommand_from change forgot reset help" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and not __fish_seen_subcommand_from change forgot reset help" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and not __fish_seen_subcommand_from change forgot reset help" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and not __fish_seen_subcommand_from change forgot reset help" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and not __fish_seen_subcommand_from change forgot reset help" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and not __fish_seen_subcommand_from change forgot reset help" -f -a "change" -d 'Change your password (asks for the current one; needs a login, not an API token)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and not __fish_seen_subcommand_from change forgot reset help" -f -a "forgot" -d 'Forgot your password? Ask the server to mail a reset code to your address'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and not __fish_seen_subcommand_from change forgot reset help" -f -a "reset" -d 'Set a new password with a reset code (from the mail, or from an administrator); every session of the account ends'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and not __fish_seen_subcommand_from change forgot reset help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from change" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from change" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from change" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from change" -l stdin -d 'Read the current password and then the new one from the first two lines of stdin instead of prompting'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from change" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from change" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from change" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from change" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from forgot" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from forgot" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from forgot" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from forgot" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from forgot" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from forgot" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from forgot" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from reset" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from reset" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from reset" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from reset" -l stdin -d 'Read the code and then the new password from the first two lines of stdin instead of prompting'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from reset" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from reset" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from reset" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from reset" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from help" -f -a "change" -d 'Change your password (asks for the current one; needs a login, not an API token)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from help" -f -a "forgot" -d 'Forgot your password? Ask the server to mail a reset code to your address'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from help" -f -a "reset" -d 'Set a new password with a reset code (from the mail, or from an administrator); every session of the account ends'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand password; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and not __fish_seen_subcommand_from export delete help" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and not __fish_seen_subcommand_from export delete help" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and not __fish_seen_subcommand_from export delete help" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and not __fish_seen_subcommand_from export delete help" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and not __fish_seen_subcommand_from export delete help" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and not __fish_seen_subcommand_from export delete help" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and not __fish_seen_subcommand_from export delete help" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and not __fish_seen_subcommand_from export delete help" -f -a "export" -d 'Download everything the server keeps about your account, as JSON'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and not __fish_seen_subcommand_from export delete help" -f -a "delete" -d 'Delete your account for good: your learning records, certificates, keys, tokens and tutor conversations go; payments stay, anonymous. Asks for your password and a confirmation (--yes)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and not __fish_seen_subcommand_from export delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from export" -l out -d 'Write the JSON to FILE (created owner-only) instead of stdout' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from export" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from export" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from export" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from export" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from export" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from export" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from delete" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from delete" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from delete" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from delete" -l password-stdin -d 'Read the password from the first line of stdin instead of prompting'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from delete" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from delete" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from delete" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "export" -d 'Download everything the server keeps about your account, as JSON'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete your account for good: your learning records, certificates, keys, tokens and tutor conversations go; payments stay, anonymous. Asks for your password and a confirmation (--yes)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and not __fish_seen_subcommand_from list search show help" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and not __fish_seen_subcommand_from list search show help" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and not __fish_seen_subcommand_from list search show help" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and not __fish_seen_subcommand_from list search show help" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and not __fish_seen_subcommand_from list search show help" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and not __fish_seen_subcommand_from list search show help" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and not __fish_seen_subcommand_from list search show help" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and not __fish_seen_subcommand_from list search show help" -f -a "list" -d 'List published courses, optionally filtered'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and not __fish_seen_subcommand_from list search show help" -f -a "search" -d 'Full-text search over titles, summaries and lesson text (when logged in, lessons still locked for you are marked)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and not __fish_seen_subcommand_from list search show help" -f -a "show" -d 'Show a course: summary, objectives, exam blueprint and outline'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and not __fish_seen_subcommand_from list search show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from list" -l provider -d 'Only this provider (aws, kubernetes, terraform, ...)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from list" -l level -d 'Only this level (beginner, intermediate, advanced)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from list" -l tag -d 'Only courses with this tag' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from list" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from list" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from list" -l free -d 'Only free courses'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from list" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from list" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from list" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from search" -l limit -d 'At most this many results' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from search" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from search" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from search" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from search" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from search" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from search" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from search" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from show" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from show" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from show" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from show" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from show" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from help" -f -a "list" -d 'List published courses, optionally filtered'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from help" -f -a "search" -d 'Full-text search over titles, summaries and lesson text (when logged in, lessons still locked for you are marked)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show a course: summary, objectives, exam blueprint and outline'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand courses; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand enroll" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand enroll" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand enroll" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand enroll" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand enroll" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand enroll" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand enroll" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand unenroll" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand unenroll" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand unenroll" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand unenroll" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand unenroll" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand unenroll" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand unenroll" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand progress" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand progress" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand progress" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand progress" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand progress" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand progress" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand progress" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand learn" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand learn" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand learn" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand learn" -l plain -d 'Plain text: no colours and no pager, even on a terminal'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand learn" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand learn" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand learn" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand learn" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and not __fish_seen_subcommand_from show video start done help" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and not __fish_seen_subcommand_from show video start done help" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and not __fish_seen_subcommand_from show video start done help" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and not __fish_seen_subcommand_from show video start done help" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and not __fish_seen_subcommand_from show video start done help" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and not __fish_seen_subcommand_from show video start done help" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and not __fish_seen_subcommand_from show video start done help" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and not __fish_seen_subcommand_from show video start done help" -f -a "show" -d 'Show a lesson: rendered and paged on a terminal, plain text in a pipe'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and not __fish_seen_subcommand_from show video start done help" -f -a "video" -d 'Open a lesson\'s video in the browser (or print its URL)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and not __fish_seen_subcommand_from show video start done help" -f -a "start" -d 'Record that you started a lesson'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and not __fish_seen_subcommand_from show video start done help" -f -a "done" -d 'Record that you completed a lesson'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and not __fish_seen_subcommand_from show video start done help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from show" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from show" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from show" -l plain -d 'Plain text: no colours and no pager, even on a terminal'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from show" -l transcript -d 'Show the video\'s transcript instead of the lesson text'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from show" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from show" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from show" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from video" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from video" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from video" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from video" -l print -d 'Only print the URL'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from video" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from video" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from video" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from video" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from start" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from start" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from start" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from start" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from start" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from start" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from done" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from done" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from done" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from done" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from done" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from done" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from done" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show a lesson: rendered and paged on a terminal, plain text in a pipe'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from help" -f -a "video" -d 'Open a lesson\'s video in the browser (or print its URL)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from help" -f -a "start" -d 'Record that you started a lesson'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from help" -f -a "done" -d 'Record that you completed a lesson'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lesson; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and not __fish_seen_subcommand_from list start help" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and not __fish_seen_subcommand_from list start help" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and not __fish_seen_subcommand_from list start help" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and not __fish_seen_subcommand_from list start help" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and not __fish_seen_subcommand_from list start help" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and not __fish_seen_subcommand_from list start help" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and not __fish_seen_subcommand_from list start help" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and not __fish_seen_subcommand_from list start help" -f -a "list" -d 'List a course\'s module quizzes with your attempts and best score'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and not __fish_seen_subcommand_from list start help" -f -a "start" -d 'Take a quiz (or resume your open attempt); exits 0 when passed, 1 when not'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and not __fish_seen_subcommand_from list start help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from list" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from list" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from list" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from list" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from list" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from start" -l answers -d 'Answer from a YAML or JSON file mapping question ids to answers (`a`, `[a, c]`, `true`, `262.8`, `text`) instead of at the terminal' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from start" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from start" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from start" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from start" -l brief -d 'After submitting, show only the score and the per-domain table'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from start" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from start" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from start" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from help" -f -a "list" -d 'List a course\'s module quizzes with your attempts and best score'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from help" -f -a "start" -d 'Take a quiz (or resume your open attempt); exits 0 when passed, 1 when not'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand quiz; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and not __fish_seen_subcommand_from start help" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and not __fish_seen_subcommand_from start help" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and not __fish_seen_subcommand_from start help" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and not __fish_seen_subcommand_from start help" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and not __fish_seen_subcommand_from start help" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and not __fish_seen_subcommand_from start help" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and not __fish_seen_subcommand_from start help" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and not __fish_seen_subcommand_from start help" -f -a "start" -d 'Take the mock exam (or resume your open attempt); exits 0 when passed, 1 when not'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and not __fish_seen_subcommand_from start help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and __fish_seen_subcommand_from start" -l answers -d 'Answer from a YAML or JSON file mapping question ids to answers (`a`, `[a, c]`, `true`, `262.8`, `text`) instead of at the terminal' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and __fish_seen_subcommand_from start" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and __fish_seen_subcommand_from start" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and __fish_seen_subcommand_from start" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and __fish_seen_subcommand_from start" -l brief -d 'After submitting, show only the score and the per-domain table'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and __fish_seen_subcommand_from start" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and __fish_seen_subcommand_from start" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and __fish_seen_subcommand_from start" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and __fish_seen_subcommand_from help" -f -a "start" -d 'Take the mock exam (or resume your open attempt); exits 0 when passed, 1 when not'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand exam; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and not __fish_seen_subcommand_from show help" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and not __fish_seen_subcommand_from show help" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and not __fish_seen_subcommand_from show help" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and not __fish_seen_subcommand_from show help" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and not __fish_seen_subcommand_from show help" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and not __fish_seen_subcommand_from show help" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and not __fish_seen_subcommand_from show help" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and not __fish_seen_subcommand_from show help" -a "show" -d 'Show one attempt: score, per-domain table, and each question with the right answer; for an open attempt, its questions with their options lettered as shown'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and not __fish_seen_subcommand_from show help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and __fish_seen_subcommand_from show" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and __fish_seen_subcommand_from show" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and __fish_seen_subcommand_from show" -l brief -d 'Only the score and the per-domain table (for an open attempt, only where it stands)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and __fish_seen_subcommand_from show" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and __fish_seen_subcommand_from show" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and __fish_seen_subcommand_from show" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one attempt: score, per-domain table, and each question with the right answer; for an open attempt, its questions with their options lettered as shown'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand attempts; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand review" -l course -d 'Only items of this course' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand review" -l limit -d 'At most this many items [default: the server\'s, 20]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand review" -l answers -d 'Answer from a YAML or JSON file mapping question ids to answers (as for `quiz start`), options named by the letters the items show (see --list)' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand review" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand review" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand review" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand review" -l list -d 'Only list the items due, each with its options lettered as it shows them; answers nothing'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand review" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand review" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand review" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand review" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and not __fish_seen_subcommand_from ask chat history forget budget help" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and not __fish_seen_subcommand_from ask chat history forget budget help" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and not __fish_seen_subcommand_from ask chat history forget budget help" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and not __fish_seen_subcommand_from ask chat history forget budget help" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and not __fish_seen_subcommand_from ask chat history forget budget help" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and not __fish_seen_subcommand_from ask chat history forget budget help" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and not __fish_seen_subcommand_from ask chat history forget budget help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and not __fish_seen_subcommand_from ask chat history forget budget help" -f -a "ask" -d 'Ask one question; the answer streams as it is written, then the passages it cites'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and not __fish_seen_subcommand_from ask chat history forget budget help" -f -a "chat" -d 'Talk with the tutor: questions and answers in one conversation until /quit or Ctrl-D'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and not __fish_seen_subcommand_from ask chat history forget budget help" -f -a "history" -d 'List your conversations with the tutor, or show one'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and not __fish_seen_subcommand_from ask chat history forget budget help" -f -a "forget" -d 'Delete a conversation, or all of them'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and not __fish_seen_subcommand_from ask chat history forget budget help" -f -a "budget" -d 'Show the tutor tokens you used today, your daily budget and when it resets'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and not __fish_seen_subcommand_from ask chat history forget budget help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from ask" -l course -d 'Ask about this course [default: the lab workspace\'s course, else every course you are enrolled in]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from ask" -l lesson -d 'The lesson you are reading: LESSON with --course, or COURSE/LESSON' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from ask" -l lab -d 'The lab workspace the question is about [default: the one holding the current folder, if any]' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from ask" -l conversation -d 'Continue this conversation (its id is in `cloudmaster tutor history`) [default: a new one]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from ask" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from ask" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from ask" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from ask" -l speak -d 'Read the answer aloud afterwards with espeak-ng (or espeak), when installed'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from ask" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from ask" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from ask" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from ask" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from chat" -l course -d 'Ask about this course [default: the lab workspace\'s course, else every course you are enrolled in]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from chat" -l lesson -d 'The lesson you are reading: LESSON with --course, or COURSE/LESSON' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from chat" -l lab -d 'The lab workspace the question is about [default: the one holding the current folder, if any]' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from chat" -l conversation -d 'Continue this conversation (its id is in `cloudmaster tutor history`) [default: a new one]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from chat" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from chat" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from chat" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from chat" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from chat" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from chat" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from chat" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from history" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from history" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from history" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from history" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from history" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from history" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from forget" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from forget" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from forget" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from forget" -l all -d 'Delete every conversation (asks first; --yes answers)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from forget" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from forget" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from forget" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from forget" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from budget" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from budget" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from budget" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from budget" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from budget" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from budget" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from budget" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from help" -f -a "ask" -d 'Ask one question; the answer streams as it is written, then the passages it cites'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from help" -f -a "chat" -d 'Talk with the tutor: questions and answers in one conversation until /quit or Ctrl-D'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from help" -f -a "history" -d 'List your conversations with the tutor, or show one'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from help" -f -a "forget" -d 'Delete a conversation, or all of them'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from help" -f -a "budget" -d 'Show the tutor tokens you used today, your daily budget and when it resets'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tutor; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand mastery" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand mastery" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand mastery" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand mastery" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand mastery" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand mastery" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand mastery" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand readiness" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand readiness" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand readiness" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand readiness" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand readiness" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand readiness" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand readiness" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and not __fish_seen_subcommand_from list show export verify revoke help" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and not __fish_seen_subcommand_from list show export verify revoke help" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and not __fish_seen_subcommand_from list show export verify revoke help" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and not __fish_seen_subcommand_from list show export verify revoke help" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and not __fish_seen_subcommand_from list show export verify revoke help" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and not __fish_seen_subcommand_from list show export verify revoke help" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and not __fish_seen_subcommand_from list show export verify revoke help" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and not __fish_seen_subcommand_from list show export verify revoke help" -f -a "list" -d 'List your certificates'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and not __fish_seen_subcommand_from list show export verify revoke help" -f -a "show" -d 'Show a certificate and whether it was revoked'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and not __fish_seen_subcommand_from list show export verify revoke help" -f -a "export" -d 'Save a certificate: the signed file (default) or an Open Badges 3.0 credential'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and not __fish_seen_subcommand_from list show export verify revoke help" -f -a "verify" -d 'Check a certificate file\'s signature with the issuer\'s key, then its revocation'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and not __fish_seen_subcommand_from list show export verify revoke help" -f -a "revoke" -d 'Revoke a certificate (admin)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and not __fish_seen_subcommand_from list show export verify revoke help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from list" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from list" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from list" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from list" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from list" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from show" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from show" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from show" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from show" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from show" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from export" -l format -d 'What to write' -r -f -a "cloudmaster\t'The signed certificate file, byte for byte as issued (verify with `cert verify`)'
ob3\t'An Open Badges 3.0 credential (JSON-LD with an eddsa-jcs-2022 proof) for badge wallets'"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from export" -l out -d 'Write to this file instead of standard output' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from export" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from export" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from export" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from export" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from export" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from export" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from verify" -l key -d 'The issuer\'s key file (the server\'s /.well-known/cloudmaster/issuer.json, saved) [default: the key saved for the server on the first online verify]' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from verify" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from verify" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from verify" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from verify" -l offline -d 'Check the signature only; do not ask the server whether the certificate was revoked'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from verify" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from verify" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from verify" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from revoke" -l reason -d 'Why; shown to anyone who checks the certificate' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from revoke" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from revoke" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from revoke" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from revoke" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from revoke" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from revoke" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "list" -d 'List your certificates'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show a certificate and whether it was revoked'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "export" -d 'Save a certificate: the signed file (default) or an Open Badges 3.0 credential'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check a certificate file\'s signature with the issuer\'s key, then its revocation'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke a certificate (admin)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand cert; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -f -a "list" -d 'List a course\'s labs with your standing and the local tools they need'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -f -a "start" -d 'Start (or resume) a lab session and write the starter files into a workspace folder'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -f -a "status" -d 'Show the session of this workspace: time left, steps done, current step'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -f -a "check" -d 'Run the current step\'s checks locally; exits 0 only when they all pass'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -f -a "hint" -d 'Reveal the next hint of the current step'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -f -a "solution" -d 'Write a step\'s solution into the workspace (after it passed, or skipping it)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -f -a "submit" -d 'Upload the workspace for grading; exits 0 only when the lab passes'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -f -a "reset" -d 'Put the current step, another step or the whole lab back to how it starts'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -f -a "abandon" -d 'End the session without finishing it (the workspace files stay)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -f -a "test" -d 'For authors: every step must fail on the starter files and pass after its solution'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and not __fish_seen_subcommand_from list start status check hint solution submit reset abandon test help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from list" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from list" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from list" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from list" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from list" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from start" -l dir -d 'Workspace folder [default: ./COURSE-LAB]' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from start" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from start" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from start" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from start" -l force -d 'Use DIR even though it holds other files (starter files are written over same-named ones)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from start" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from start" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from start" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from status" -l dir -d 'The lab workspace [default: the one holding the current folder]' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from status" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from status" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from status" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from status" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from status" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from status" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from check" -l dir -d 'The lab workspace [default: the one holding the current folder]' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from check" -l step -d 'Check this step instead of the current one' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from check" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from check" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from check" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from check" -l watch -d 'Check again whenever a file of the workspace changes, until every step passes (Ctrl-C stops)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from check" -l poll -d 'With --watch: notice changes by looking every 500 ms instead of by file-system notifications'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from check" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from check" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from check" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from hint" -l dir -d 'The lab workspace [default: the one holding the current folder]' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from hint" -l step -d 'A hint for this step instead of the current one' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from hint" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from hint" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from hint" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from hint" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from hint" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from hint" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from hint" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from solution" -l dir -d 'The lab workspace [default: the one holding the current folder]' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from solution" -l step -d 'The solution of this step instead of the current one' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from solution" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from solution" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from solution" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from solution" -l skip -d 'Reveal it although the step has not passed: the step is skipped and gives no credit'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from solution" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from solution" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from solution" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from solution" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from submit" -l dir -d 'The lab workspace [default: the one holding the current folder]' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from submit" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from submit" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from submit" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from submit" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from submit" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from submit" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from submit" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from reset" -l dir -d 'The lab workspace [default: the one holding the current folder]' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from reset" -l step -d 'Reset this step (and the files of the steps after it) instead of the current one' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from reset" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from reset" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from reset" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from reset" -l all -d 'Reset the whole lab to its starter files'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from reset" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from reset" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from reset" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from reset" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from abandon" -l dir -d 'The lab workspace [default: the one holding the current folder]' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from abandon" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from abandon" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from abandon" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from abandon" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from abandon" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from abandon" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from abandon" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from test" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from test" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from test" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from test" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from test" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from test" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "list" -d 'List a course\'s labs with your standing and the local tools they need'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "start" -d 'Start (or resume) a lab session and write the starter files into a workspace folder'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show the session of this workspace: time left, steps done, current step'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "check" -d 'Run the current step\'s checks locally; exits 0 only when they all pass'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "hint" -d 'Reveal the next hint of the current step'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "solution" -d 'Write a step\'s solution into the workspace (after it passed, or skipping it)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "submit" -d 'Upload the workspace for grading; exits 0 only when the lab passes'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "reset" -d 'Put the current step, another step or the whole lab back to how it starts'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "abandon" -d 'End the session without finishing it (the workspace files stay)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "test" -d 'For authors: every step must fail on the starter files and pass after its solution'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and not __fish_seen_subcommand_from new validate preview versions rollback help" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and not __fish_seen_subcommand_from new validate preview versions rollback help" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and not __fish_seen_subcommand_from new validate preview versions rollback help" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and not __fish_seen_subcommand_from new validate preview versions rollback help" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and not __fish_seen_subcommand_from new validate preview versions rollback help" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and not __fish_seen_subcommand_from new validate preview versions rollback help" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and not __fish_seen_subcommand_from new validate preview versions rollback help" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and not __fish_seen_subcommand_from new validate preview versions rollback help" -f -a "new" -d 'Scaffold a new course (a small valid course to start from)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and not __fish_seen_subcommand_from new validate preview versions rollback help" -f -a "validate" -d 'Check a course or a catalog of courses; exits 1 when there are errors'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and not __fish_seen_subcommand_from new validate preview versions rollback help" -f -a "preview" -d 'Open the TUI on local course files, with no server: read the lessons, take the quizzes (graded here, with explanations), run the labs\' checks'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and not __fish_seen_subcommand_from new validate preview versions rollback help" -f -a "versions" -d 'List the published versions of a course'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and not __fish_seen_subcommand_from new validate preview versions rollback help" -f -a "rollback" -d 'Publish an earlier version\'s content again, as a new version'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and not __fish_seen_subcommand_from new validate preview versions rollback help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from new" -l dir -d 'Folder to create [default: ./ID]' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from new" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from new" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from new" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from new" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from new" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from new" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from new" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from validate" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from validate" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from validate" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from validate" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from validate" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from validate" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from validate" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from preview" -l lab-dir -d 'Folder for lab workspaces [default: a temporary folder, removed afterwards]' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from preview" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from preview" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from preview" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from preview" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from preview" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from preview" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from preview" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from versions" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from versions" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from versions" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from versions" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from versions" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from versions" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from versions" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from rollback" -l to -d 'The version whose content to restore' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from rollback" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from rollback" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from rollback" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from rollback" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from rollback" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from rollback" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from rollback" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from help" -f -a "new" -d 'Scaffold a new course (a small valid course to start from)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from help" -f -a "validate" -d 'Check a course or a catalog of courses; exits 1 when there are errors'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from help" -f -a "preview" -d 'Open the TUI on local course files, with no server: read the lessons, take the quizzes (graded here, with explanations), run the labs\' checks'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from help" -f -a "versions" -d 'List the published versions of a course'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from help" -f -a "rollback" -d 'Publish an earlier version\'s content again, as a new version'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand course; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand publish" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand publish" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand publish" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand publish" -l dry-run -d 'Show the plan and let the server validate it, without publishing'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand publish" -l skip-lab-tests -d 'Publish without testing the labs first (when this machine lacks the tools their checks run)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand publish" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand publish" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand publish" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand publish" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tui" -l colors -d 'Colours to draw with: 16 (the named ANSI colours, for the Linux console and old terminals), 256 or truecolor [default: from COLORTERM and TERM: truecolor when COLORTERM says so, 256 when TERM has `256color`, else 16]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tui" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tui" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tui" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tui" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tui" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tui" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand tui" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and not __fish_seen_subcommand_from plans status checkout subscribe cancel payments receipt refund help" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and not __fish_seen_subcommand_from plans status checkout subscribe cancel payments receipt refund help" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and not __fish_seen_subcommand_from plans status checkout subscribe cancel payments receipt refund help" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and not __fish_seen_subcommand_from plans status checkout subscribe cancel payments receipt refund help" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and not __fish_seen_subcommand_from plans status checkout subscribe cancel payments receipt refund help" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and not __fish_seen_subcommand_from plans status checkout subscribe cancel payments receipt refund help" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and not __fish_seen_subcommand_from plans status checkout subscribe cancel payments receipt refund help" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and not __fish_seen_subcommand_from plans status checkout subscribe cancel payments receipt refund help" -f -a "plans" -d 'List the premium plans (and the sandbox\'s test cards)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and not __fish_seen_subcommand_from plans status checkout subscribe cancel payments receipt refund help" -f -a "status" -d 'Show your tier, subscription and purchased courses'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and not __fish_seen_subcommand_from plans status checkout subscribe cancel payments receipt refund help" -f -a "checkout" -d 'Buy a course'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and not __fish_seen_subcommand_from plans status checkout subscribe cancel payments receipt refund help" -f -a "subscribe" -d 'Subscribe to a premium plan: every course opens while it lasts'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and not __fish_seen_subcommand_from plans status checkout subscribe cancel payments receipt refund help" -f -a "cancel" -d 'Cancel your subscription at the end of the period paid for'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and not __fish_seen_subcommand_from plans status checkout subscribe cancel payments receipt refund help" -f -a "payments" -d 'List your payments'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and not __fish_seen_subcommand_from plans status checkout subscribe cancel payments receipt refund help" -f -a "receipt" -d 'Show a payment\'s receipt'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and not __fish_seen_subcommand_from plans status checkout subscribe cancel payments receipt refund help" -f -a "refund" -d 'Refund a payment, wholly or in part (admins)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and not __fish_seen_subcommand_from plans status checkout subscribe cancel payments receipt refund help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from plans" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from plans" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from plans" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from plans" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from plans" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from plans" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from plans" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from status" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from status" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from status" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from status" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from status" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from status" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from checkout" -l coupon -d 'A coupon code' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from checkout" -l card -d 'Sandbox servers: the test card to pay with (`cloudmaster billing plans` lists them); asked for when left out' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from checkout" -l wait -d 'Seconds to wait for the payment to settle before giving up (it stays pending)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from checkout" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from checkout" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from checkout" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from checkout" -l no-browser -d 'Do not open a browser on the provider\'s payment page'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from checkout" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from checkout" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from checkout" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from checkout" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from subscribe" -l coupon -d 'A coupon code (for the first period)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from subscribe" -l card -d 'Sandbox servers: the test card to pay with (`cloudmaster billing plans` lists them); asked for when left out' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from subscribe" -l wait -d 'Seconds to wait for the payment to settle before giving up (it stays pending)' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from subscribe" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from subscribe" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from subscribe" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from subscribe" -l no-browser -d 'Do not open a browser on the provider\'s payment page'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from subscribe" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from subscribe" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from subscribe" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from subscribe" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from cancel" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from cancel" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from cancel" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from cancel" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from cancel" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from cancel" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from cancel" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from payments" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from payments" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from payments" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from payments" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from payments" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from payments" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from payments" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from receipt" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from receipt" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from receipt" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from receipt" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from receipt" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from receipt" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from receipt" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from refund" -l amount -d 'Amount in the payment\'s currency, such as 10.00 [default: all that is left]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from refund" -l reason -d 'Why, kept in the payment\'s history' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from refund" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from refund" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from refund" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from refund" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from refund" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from refund" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from refund" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from help" -f -a "plans" -d 'List the premium plans (and the sandbox\'s test cards)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show your tier, subscription and purchased courses'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from help" -f -a "checkout" -d 'Buy a course'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from help" -f -a "subscribe" -d 'Subscribe to a premium plan: every course opens while it lasts'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from help" -f -a "cancel" -d 'Cancel your subscription at the end of the period paid for'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from help" -f -a "payments" -d 'List your payments'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from help" -f -a "receipt" -d 'Show a payment\'s receipt'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from help" -f -a "refund" -d 'Refund a payment, wholly or in part (admins)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand billing; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and not __fish_seen_subcommand_from users revenue coupons help" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and not __fish_seen_subcommand_from users revenue coupons help" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and not __fish_seen_subcommand_from users revenue coupons help" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and not __fish_seen_subcommand_from users revenue coupons help" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and not __fish_seen_subcommand_from users revenue coupons help" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and not __fish_seen_subcommand_from users revenue coupons help" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and not __fish_seen_subcommand_from users revenue coupons help" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and not __fish_seen_subcommand_from users revenue coupons help" -f -a "users" -d 'List accounts, change a role, suspend an account or lift its suspension'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and not __fish_seen_subcommand_from users revenue coupons help" -f -a "revenue" -d 'Revenue per day, course or plan, and currency, refunds netted'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and not __fish_seen_subcommand_from users revenue coupons help" -f -a "coupons" -d 'Create, list and disable coupons'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and not __fish_seen_subcommand_from users revenue coupons help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from users" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from users" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from users" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from users" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from users" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from users" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from users" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from users" -f -a "list" -d 'List every account, oldest first, with its role, tier and whether it is suspended'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from users" -f -a "role" -d 'Change an account\'s role (from its next request on)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from users" -f -a "suspend" -d 'Suspend an account: it cannot log in, its sessions, API tokens and SSH keys are refused, its TUI sessions over SSH end; nothing of it is deleted'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from users" -f -a "unsuspend" -d 'Lift an account\'s suspension: its sessions and tokens work again'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from users" -f -a "reset-password" -d 'Make a code that resets an account\'s password (works once, for 30 minutes), to hand to its owner, who runs `cloudmaster password reset`; nothing is mailed'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from users" -f -a "export" -d 'Export everything kept about an account as JSON, for its owner (a data access request)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from users" -f -a "delete" -d 'Erase an account (a data erasure request): its sessions, tokens, keys, learning records, certificates and tutor conversations are deleted; its payments stay, against an anonymous account. Asks for confirmation (--yes)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from users" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from revenue" -l to -d 'The last day, YYYY-MM-DD (UTC) [default: today]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from revenue" -l days -d 'How many days up to --to, 1 to 366 [default: 30]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from revenue" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from revenue" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from revenue" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from revenue" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from revenue" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from revenue" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from revenue" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from coupons" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from coupons" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from coupons" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from coupons" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from coupons" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from coupons" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from coupons" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from coupons" -f -a "create" -d 'Create a coupon'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from coupons" -f -a "list" -d 'List every coupon'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from coupons" -f -a "disable" -d 'Disable a coupon: no new checkout can use it'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from coupons" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "users" -d 'List accounts, change a role, suspend an account or lift its suspension'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "revenue" -d 'Revenue per day, course or plan, and currency, refunds netted'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "coupons" -d 'Create, list and disable coupons'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand admin; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and not __fish_seen_subcommand_from path show set help" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and not __fish_seen_subcommand_from path show set help" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and not __fish_seen_subcommand_from path show set help" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and not __fish_seen_subcommand_from path show set help" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and not __fish_seen_subcommand_from path show set help" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and not __fish_seen_subcommand_from path show set help" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and not __fish_seen_subcommand_from path show set help" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and not __fish_seen_subcommand_from path show set help" -f -a "path" -d 'Print the path of config.toml (-o json: every path)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and not __fish_seen_subcommand_from path show set help" -f -a "show" -d 'Show the settings in force and where each comes from'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and not __fish_seen_subcommand_from path show set help" -f -a "set" -d 'Set a key in config.toml: server, output, timeout_seconds, credentials (for the current profile), profiles.NAME.KEY, or default_profile'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and not __fish_seen_subcommand_from path show set help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from path" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from path" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from path" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from path" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from path" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from path" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from show" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from show" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from show" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from show" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from show" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from set" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from set" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from set" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from set" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from set" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from set" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the path of config.toml (-o json: every path)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show the settings in force and where each comes from'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set a key in config.toml: server, output, timeout_seconds, credentials (for the current profile), profiles.NAME.KEY, or default_profile'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand doctor" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand doctor" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand doctor" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand doctor" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand doctor" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand doctor" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand completions" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand completions" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand completions" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand completions" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand completions" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand completions" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand completions" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand generate-docs" -l out -d 'The folder to write completions/ and man/ into' -r -F
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand generate-docs" -l server -d 'Server URL [default: from the profile, else http://127.0.0.1:8080/]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand generate-docs" -l profile -d 'Configuration profile [default: default_profile in config.toml, else `default`]' -r
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand generate-docs" -s o -l output -d 'Output format of commands that print data [default: from the profile, else table]' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand generate-docs" -l quiet -d 'Print only the data asked for: no progress bars, notices or hints'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand generate-docs" -l no-color -d 'Disable colour (also when NO_COLOR is set)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand generate-docs" -l yes -d 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand generate-docs" -s h -l help -d 'Print help'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "quickstart" -d 'Start a local server with the bundled courses, log in as a demo learner, open the TUI'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "serve" -d 'Run the server (same as the cloudmaster-server binary)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "register" -d 'Create an account and log in'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "login" -d 'Log in and store the session'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "logout" -d 'Revoke the session on the server and forget it here'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "whoami" -d 'Show who you are logged in as, and with which credential'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "token" -d 'Manage personal API tokens (for CI)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "keys" -d 'Link SSH public keys to your account, to use the TUI over SSH'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "password" -d 'Change your password, or reset a forgotten one with a mailed code'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "account" -d 'Download everything the server keeps about your account, or delete it'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "courses" -d 'Browse the catalog'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "enroll" -d 'Enroll in a course'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "unenroll" -d 'Leave a course'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "progress" -d 'Show your progress in every enrolled course, or in one'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "learn" -d 'Open the next lesson of a course (where you left off)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "lesson" -d 'Read lessons and record progress'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "quiz" -d 'List and take module quizzes'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "exam" -d 'Take a course\'s timed mock exam'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "attempts" -d 'List your quiz and exam attempts, or show one'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "review" -d 'Answer the spaced-review questions that are due'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "tutor" -d 'Ask the AI tutor about your courses and labs; see its conversations and budget'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "mastery" -d 'Show your mastery per exam domain and skill'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "readiness" -d 'Predict your chance of passing the certification exam'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "cert" -d 'List, show, verify and export certificates'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "lab" -d 'Hands-on labs: start, check, hint, submit, reset, abandon, test'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "course" -d 'Author courses: scaffold, validate, list versions, roll back'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "publish" -d 'Validate and publish a course or a catalog of courses'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "tui" -d 'Open the terminal UI against the server you are logged in to'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "billing" -d 'Buy courses and premium, see payments and receipts, cancel, refund'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "admin" -d 'Administration: accounts, revenue and coupons'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "config" -d 'Show or change the configuration'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "doctor" -d 'Check configuration, server, credentials and lab tools'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "completions" -d 'Print shell completions'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "generate-docs" -d 'Write completions/ and man/ (for maintainers)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and not __fish_seen_subcommand_from quickstart serve register login logout whoami token keys password account courses enroll unenroll progress learn lesson quiz exam attempts review tutor mastery readiness cert lab course publish tui billing admin config doctor completions generate-docs help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "create" -d 'Create a token; its secret is printed once'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "list" -d 'List your tokens (never their secrets)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from token" -f -a "revoke" -d 'Revoke a token by id'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "add" -d 'Link an SSH public key (a .pub file) to your account'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "list" -d 'List the SSH keys linked to your account'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "remove" -d 'Unlink an SSH key by id; it no longer signs in'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from password" -f -a "change" -d 'Change your password (asks for the current one; needs a login, not an API token)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from password" -f -a "forgot" -d 'Forgot your password? Ask the server to mail a reset code to your address'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from password" -f -a "reset" -d 'Set a new password with a reset code (from the mail, or from an administrator); every session of the account ends'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "export" -d 'Download everything the server keeps about your account, as JSON'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "delete" -d 'Delete your account for good: your learning records, certificates, keys, tokens and tutor conversations go; payments stay, anonymous. Asks for your password and a confirmation (--yes)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from courses" -f -a "list" -d 'List published courses, optionally filtered'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from courses" -f -a "search" -d 'Full-text search over titles, summaries and lesson text (when logged in, lessons still locked for you are marked)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from courses" -f -a "show" -d 'Show a course: summary, objectives, exam blueprint and outline'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from lesson" -f -a "show" -d 'Show a lesson: rendered and paged on a terminal, plain text in a pipe'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from lesson" -f -a "video" -d 'Open a lesson\'s video in the browser (or print its URL)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from lesson" -f -a "start" -d 'Record that you started a lesson'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from lesson" -f -a "done" -d 'Record that you completed a lesson'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from quiz" -f -a "list" -d 'List a course\'s module quizzes with your attempts and best score'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from quiz" -f -a "start" -d 'Take a quiz (or resume your open attempt); exits 0 when passed, 1 when not'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from exam" -f -a "start" -d 'Take the mock exam (or resume your open attempt); exits 0 when passed, 1 when not'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from attempts" -f -a "show" -d 'Show one attempt: score, per-domain table, and each question with the right answer; for an open attempt, its questions with their options lettered as shown'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from tutor" -f -a "ask" -d 'Ask one question; the answer streams as it is written, then the passages it cites'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from tutor" -f -a "chat" -d 'Talk with the tutor: questions and answers in one conversation until /quit or Ctrl-D'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from tutor" -f -a "history" -d 'List your conversations with the tutor, or show one'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from tutor" -f -a "forget" -d 'Delete a conversation, or all of them'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from tutor" -f -a "budget" -d 'Show the tutor tokens you used today, your daily budget and when it resets'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from cert" -f -a "list" -d 'List your certificates'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from cert" -f -a "show" -d 'Show a certificate and whether it was revoked'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from cert" -f -a "export" -d 'Save a certificate: the signed file (default) or an Open Badges 3.0 credential'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from cert" -f -a "verify" -d 'Check a certificate file\'s signature with the issuer\'s key, then its revocation'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from cert" -f -a "revoke" -d 'Revoke a certificate (admin)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "list" -d 'List a course\'s labs with your standing and the local tools they need'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "start" -d 'Start (or resume) a lab session and write the starter files into a workspace folder'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "status" -d 'Show the session of this workspace: time left, steps done, current step'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "check" -d 'Run the current step\'s checks locally; exits 0 only when they all pass'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "hint" -d 'Reveal the next hint of the current step'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "solution" -d 'Write a step\'s solution into the workspace (after it passed, or skipping it)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "submit" -d 'Upload the workspace for grading; exits 0 only when the lab passes'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "reset" -d 'Put the current step, another step or the whole lab back to how it starts'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "abandon" -d 'End the session without finishing it (the workspace files stay)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "test" -d 'For authors: every step must fail on the starter files and pass after its solution'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from course" -f -a "new" -d 'Scaffold a new course (a small valid course to start from)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from course" -f -a "validate" -d 'Check a course or a catalog of courses; exits 1 when there are errors'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from course" -f -a "preview" -d 'Open the TUI on local course files, with no server: read the lessons, take the quizzes (graded here, with explanations), run the labs\' checks'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from course" -f -a "versions" -d 'List the published versions of a course'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from course" -f -a "rollback" -d 'Publish an earlier version\'s content again, as a new version'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from billing" -f -a "plans" -d 'List the premium plans (and the sandbox\'s test cards)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from billing" -f -a "status" -d 'Show your tier, subscription and purchased courses'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from billing" -f -a "checkout" -d 'Buy a course'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from billing" -f -a "subscribe" -d 'Subscribe to a premium plan: every course opens while it lasts'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from billing" -f -a "cancel" -d 'Cancel your subscription at the end of the period paid for'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from billing" -f -a "payments" -d 'List your payments'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from billing" -f -a "receipt" -d 'Show a payment\'s receipt'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from billing" -f -a "refund" -d 'Refund a payment, wholly or in part (admins)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "users" -d 'List accounts, change a role, suspend an account or lift its suspension'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "revenue" -d 'Revenue per day, course or plan, and currency, refunds netted'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from admin" -f -a "coupons" -d 'Create, list and disable coupons'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print the path of config.toml (-o json: every path)'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Show the settings in force and where each comes from'
complete -c cloudmaster -n "__fish_cloudmaster_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "set" -d 'Set a key in config.toml: server, output, timeout_seconds, credentials (for the current profile), profiles.NAME.KEY, or default_profile'
