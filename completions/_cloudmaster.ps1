
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'cloudmaster' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'cloudmaster'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'cloudmaster' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('quickstart', 'quickstart', [CompletionResultType]::ParameterValue, 'Start a local server with the bundled courses, log in as a demo learner, open the TUI')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the server (same as the cloudmaster-server binary)')
            [CompletionResult]::new('register', 'register', [CompletionResultType]::ParameterValue, 'Create an account and log in')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in and store the session')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Revoke the session on the server and forget it here')
            [CompletionResult]::new('whoami', 'whoami', [CompletionResultType]::ParameterValue, 'Show who you are logged in as, and with which credential')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Manage personal API tokens (for CI)')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'Link SSH public keys to your account, to use the TUI over SSH')
            [CompletionResult]::new('password', 'password', [CompletionResultType]::ParameterValue, 'Change your password, or reset a forgotten one with a mailed code')
            [CompletionResult]::new('account', 'account', [CompletionResultType]::ParameterValue, 'Download everything the server keeps about your account, or delete it')
            [CompletionResult]::new('courses', 'courses', [CompletionResultType]::ParameterValue, 'Browse the catalog')
            [CompletionResult]::new('enroll', 'enroll', [CompletionResultType]::ParameterValue, 'Enroll in a course')
            [CompletionResult]::new('unenroll', 'unenroll', [CompletionResultType]::ParameterValue, 'Leave a course')
            [CompletionResult]::new('progress', 'progress', [CompletionResultType]::ParameterValue, 'Show your progress in every enrolled course, or in one')
            [CompletionResult]::new('learn', 'learn', [CompletionResultType]::ParameterValue, 'Open the next lesson of a course (where you left off)')
            [CompletionResult]::new('lesson', 'lesson', [CompletionResultType]::ParameterValue, 'Read lessons and record progress')
            [CompletionResult]::new('quiz', 'quiz', [CompletionResultType]::ParameterValue, 'List and take module quizzes')
            [CompletionResult]::new('exam', 'exam', [CompletionResultType]::ParameterValue, 'Take a course''s timed mock exam')
            [CompletionResult]::new('attempts', 'attempts', [CompletionResultType]::ParameterValue, 'List your quiz and exam attempts, or show one')
            [CompletionResult]::new('review', 'review', [CompletionResultType]::ParameterValue, 'Answer the spaced-review questions that are due')
            [CompletionResult]::new('tutor', 'tutor', [CompletionResultType]::ParameterValue, 'Ask the AI tutor about your courses and labs; see its conversations and budget')
            [CompletionResult]::new('mastery', 'mastery', [CompletionResultType]::ParameterValue, 'Show your mastery per exam domain and skill')
            [CompletionResult]::new('readiness', 'readiness', [CompletionResultType]::ParameterValue, 'Predict your chance of passing the certification exam')
            [CompletionResult]::new('cert', 'cert', [CompletionResultType]::ParameterValue, 'List, show, verify and export certificates')
            [CompletionResult]::new('lab', 'lab', [CompletionResultType]::ParameterValue, 'Hands-on labs: start, check, hint, submit, reset, abandon, test')
            [CompletionResult]::new('course', 'course', [CompletionResultType]::ParameterValue, 'Author courses: scaffold, validate, list versions, roll back')
            [CompletionResult]::new('publish', 'publish', [CompletionResultType]::ParameterValue, 'Validate and publish a course or a catalog of courses')
            [CompletionResult]::new('tui', 'tui', [CompletionResultType]::ParameterValue, 'Open the terminal UI against the server you are logged in to')
            [CompletionResult]::new('billing', 'billing', [CompletionResultType]::ParameterValue, 'Buy courses and premium, see payments and receipts, cancel, refund')
            [CompletionResult]::new('admin', 'admin', [CompletionResultType]::ParameterValue, 'Administration: accounts, revenue and coupons')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show or change the configuration')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check configuration, server, credentials and lab tools')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('generate-docs', 'generate-docs', [CompletionResultType]::ParameterValue, 'Write completions/ and man/ (for maintainers)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;quickstart' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on (127.0.0.1:0 picks a free port)')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Folder for the database and catalog [default: $XDG_DATA_HOME/cloudmaster/quickstart]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--no-tui', '--no-tui', [CompletionResultType]::ParameterName, 'Do not open the TUI; just serve until Ctrl-C')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on (port 0 picks a free port; see --url-file)')
            [CompletionResult]::new('--url-file', '--url-file', [CompletionResultType]::ParameterName, 'Once listening, write the server''s URL to this file (how a script learns the port picked for `--listen 127.0.0.1:0`)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'Database URL: `sqlite://PATH` or `postgres://...` [default: sqlite://<data-dir>/cloudmaster.db]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Directory for the embedded database and other server data')
            [CompletionResult]::new('--key-dir', '--key-dir', [CompletionResultType]::ParameterName, 'Directory of the token and certificate signing keys, readable only by the server''s user. Replicas on one PostgreSQL database must all be given the same one (a shared mounted secret directory) [default: <data-dir>/keys]')
            [CompletionResult]::new('--pool-size', '--pool-size', [CompletionResultType]::ParameterName, 'Maximum database connections of this replica')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format')
            [CompletionResult]::new('--max-body-bytes', '--max-body-bytes', [CompletionResultType]::ParameterName, 'Largest accepted request body, except publishing')
            [CompletionResult]::new('--max-publish-bytes', '--max-publish-bytes', [CompletionResultType]::ParameterName, 'Largest accepted course bundle (publish)')
            [CompletionResult]::new('--rate-limit-free', '--rate-limit-free', [CompletionResultType]::ParameterName, 'Requests per rate-limit window for free learners (0 = unlimited)')
            [CompletionResult]::new('--rate-limit-premium', '--rate-limit-premium', [CompletionResultType]::ParameterName, 'Requests per window for premium learners (0 = unlimited)')
            [CompletionResult]::new('--rate-limit-staff', '--rate-limit-staff', [CompletionResultType]::ParameterName, 'Requests per window for instructors and admins (0 = unlimited)')
            [CompletionResult]::new('--rate-limit-anonymous', '--rate-limit-anonymous', [CompletionResultType]::ParameterName, 'Requests per window for unauthenticated clients, per IP address (0 = unlimited)')
            [CompletionResult]::new('--rate-limit-window-secs', '--rate-limit-window-secs', [CompletionResultType]::ParameterName, 'Length of the fixed rate-limit window, in seconds')
            [CompletionResult]::new('--trust-forwarded-for', '--trust-forwarded-for', [CompletionResultType]::ParameterName, 'Proxy networks (CIDRs or addresses, comma-separated) whose `X-Forwarded-For` is believed. A request from one of them is attributed to the rightmost address in `X-Forwarded-For` that is not itself a trusted proxy; from anywhere else, to the TCP peer. Empty (the default): the header is ignored')
            [CompletionResult]::new('--rate-limit-login', '--rate-limit-login', [CompletionResultType]::ParameterName, 'Login attempts per client address per minute')
            [CompletionResult]::new('--rate-limit-register', '--rate-limit-register', [CompletionResultType]::ParameterName, 'Registrations per client address per hour')
            [CompletionResult]::new('--rate-limit-refresh', '--rate-limit-refresh', [CompletionResultType]::ParameterName, 'Refresh-token exchanges (and logouts) per client address per minute')
            [CompletionResult]::new('--rate-limit-password-reset', '--rate-limit-password-reset', [CompletionResultType]::ParameterName, 'Password-reset requests and redemptions per client address per hour')
            [CompletionResult]::new('--argon2-memory-kib', '--argon2-memory-kib', [CompletionResultType]::ParameterName, 'Argon2id memory per password hash, in KiB. Changing a cost parameter re-hashes each password at its owner''s next login')
            [CompletionResult]::new('--argon2-iterations', '--argon2-iterations', [CompletionResultType]::ParameterName, 'Argon2id passes over memory per password hash')
            [CompletionResult]::new('--argon2-parallelism', '--argon2-parallelism', [CompletionResultType]::ParameterName, 'Argon2id lanes per password hash')
            [CompletionResult]::new('--password-hash-threads', '--password-hash-threads', [CompletionResultType]::ParameterName, 'Password hashes computed at once (each holds its Argon2 memory) [default: CPUs]')
            [CompletionResult]::new('--password-hash-queue', '--password-hash-queue', [CompletionResultType]::ParameterName, 'Password hashes allowed to wait for a thread; beyond that, login, registration and password change answer 503 with `Retry-After`')
            [CompletionResult]::new('--password-hash-wait-ms', '--password-hash-wait-ms', [CompletionResultType]::ParameterName, 'Longest a password hash waits for a thread, in milliseconds, before 503')
            [CompletionResult]::new('--catalog-cache-ms', '--catalog-cache-ms', [CompletionResultType]::ParameterName, 'How long this replica serves the catalog from memory before re-reading it, in milliseconds. A publish through this replica shows at once; through another one within this time. 0 re-reads on every request')
            [CompletionResult]::new('--auth-cache-ms', '--auth-cache-ms', [CompletionResultType]::ParameterName, 'How long this replica remembers a session user''s role and suspension, their enrollments and the modules they finished (for module locks), in milliseconds. Changes through another replica apply here within this time. 0 reads the database on every request')
            [CompletionResult]::new('--shutdown-grace-secs', '--shutdown-grace-secs', [CompletionResultType]::ParameterName, 'Seconds to let in-flight requests finish after SIGINT/SIGTERM')
            [CompletionResult]::new('--lab-idle-timeout-minutes', '--lab-idle-timeout-minutes', [CompletionResultType]::ParameterName, 'Minutes without activity (a check report, a hint, a submission) after which a lab session expires, whatever its time limit')
            [CompletionResult]::new('--lab-max-archive-bytes', '--lab-max-archive-bytes', [CompletionResultType]::ParameterName, 'Largest accepted lab submission: the compressed workspace archive (`lab submit`)')
            [CompletionResult]::new('--lab-max-workspace-bytes', '--lab-max-workspace-bytes', [CompletionResultType]::ParameterName, 'Largest total size of the files in a submitted lab workspace, uncompressed')
            [CompletionResult]::new('--lab-max-archive-files', '--lab-max-archive-files', [CompletionResultType]::ParameterName, 'Most files and folders a submitted lab workspace may hold')
            [CompletionResult]::new('--billing-provider', '--billing-provider', [CompletionResultType]::ParameterName, 'Payment provider')
            [CompletionResult]::new('--billing-plans', '--billing-plans', [CompletionResultType]::ParameterName, 'Premium plans, comma-separated, each `ID=AMOUNT+CURRENCY/INTERVAL` with the amount in major units and the interval `month` or `year`, as in `premium-monthly=12.00USD/month` [default: premium-monthly=12.00USD/month,premium-yearly=99.00USD/year]')
            [CompletionResult]::new('--billing-grace-days', '--billing-grace-days', [CompletionResultType]::ParameterName, 'Days premium lasts after a renewal fails, while the renewal is retried')
            [CompletionResult]::new('--billing-retry-hours', '--billing-retry-hours', [CompletionResultType]::ParameterName, 'Hours between retries of a failed renewal (providers that do not retry by themselves)')
            [CompletionResult]::new('--billing-checkout-minutes', '--billing-checkout-minutes', [CompletionResultType]::ParameterName, 'Minutes a sandbox checkout waits for its card before it is abandoned: the payment fails and its coupon redemption is given back (Stripe expires its own checkouts)')
            [CompletionResult]::new('--billing-tax-basis-points', '--billing-tax-basis-points', [CompletionResultType]::ParameterName, 'Tax added to every payment, in basis points of the price after discounts (2000 is 20 %); 0 collects none and receipts show a tax of 0')
            [CompletionResult]::new('--public-url', '--public-url', [CompletionResultType]::ParameterName, 'The URL learners reach this server at, where a hosted checkout sends them back [default: http://<listen address>]')
            [CompletionResult]::new('--stripe-api-base', '--stripe-api-base', [CompletionResultType]::ParameterName, 'Stripe''s API address (a local server in tests)')
            [CompletionResult]::new('--stripe-api-key-file', '--stripe-api-key-file', [CompletionResultType]::ParameterName, 'File holding the Stripe API key (else CLOUDMASTER_STRIPE_API_KEY)')
            [CompletionResult]::new('--stripe-webhook-secret-file', '--stripe-webhook-secret-file', [CompletionResultType]::ParameterName, 'File holding the Stripe webhook signing secret, one per line while one replaces another (else CLOUDMASTER_STRIPE_WEBHOOK_SECRET)')
            [CompletionResult]::new('--stripe-webhook-tolerance-secs', '--stripe-webhook-tolerance-secs', [CompletionResultType]::ParameterName, 'Seconds a webhook signature''s timestamp may be from now')
            [CompletionResult]::new('--tutor-provider', '--tutor-provider', [CompletionResultType]::ParameterName, 'The tutor''s model provider')
            [CompletionResult]::new('--tutor-base-url', '--tutor-base-url', [CompletionResultType]::ParameterName, 'The provider''s API base URL [default: https://api.openai.com/v1 or https://api.anthropic.com/v1; Ollama is http://localhost:11434/v1]')
            [CompletionResult]::new('--tutor-model', '--tutor-model', [CompletionResultType]::ParameterName, 'The model to ask (required with a provider), such as `gpt-4o-mini`, `claude-sonnet-4-5` or `llama3.2`')
            [CompletionResult]::new('--tutor-api-key-file', '--tutor-api-key-file', [CompletionResultType]::ParameterName, 'File holding the provider''s API key (else CLOUDMASTER_TUTOR_API_KEY; local servers such as Ollama need none)')
            [CompletionResult]::new('--tutor-timeout-secs', '--tutor-timeout-secs', [CompletionResultType]::ParameterName, 'Seconds to wait for the provider''s first token, and between two tokens, before the answer fails with `provider_timeout`')
            [CompletionResult]::new('--tutor-max-answer-tokens', '--tutor-max-answer-tokens', [CompletionResultType]::ParameterName, 'The longest answer, in tokens')
            [CompletionResult]::new('--tutor-daily-tokens-free', '--tutor-daily-tokens-free', [CompletionResultType]::ParameterName, 'Tokens (question and answer, as the provider counts them) a free learner may use per UTC day')
            [CompletionResult]::new('--tutor-daily-tokens-premium', '--tutor-daily-tokens-premium', [CompletionResultType]::ParameterName, 'Tokens a premium learner may use per UTC day')
            [CompletionResult]::new('--ssh-listen', '--ssh-listen', [CompletionResultType]::ParameterName, 'Also serve the TUI over SSH on this address, such as 0.0.0.0:2222 [default: off]')
            [CompletionResult]::new('--ssh-idle-timeout-minutes', '--ssh-idle-timeout-minutes', [CompletionResultType]::ParameterName, 'Minutes without a key press after which an SSH session says goodbye')
            [CompletionResult]::new('--ssh-sessions-per-account', '--ssh-sessions-per-account', [CompletionResultType]::ParameterName, 'SSH sessions one account may have open at once (on this server)')
            [CompletionResult]::new('--ssh-sessions-per-key', '--ssh-sessions-per-key', [CompletionResultType]::ParameterName, 'SSH sessions one key may have open at once (on this server)')
            [CompletionResult]::new('--ssh-max-connections', '--ssh-max-connections', [CompletionResultType]::ParameterName, 'SSH connections open at once, signed in or not; more are closed at once')
            [CompletionResult]::new('--smtp-url', '--smtp-url', [CompletionResultType]::ParameterName, 'The SMTP relay that sends the server''s mail (reset codes): `smtp://host:25` (no TLS, for a relay on this machine), `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://user:pass@host:465`. Without it the server sends no mail. Give credentials in the environment rather than as a flag: flags show in `ps`')
            [CompletionResult]::new('--mail-from', '--mail-from', [CompletionResultType]::ParameterName, 'The sender of the server''s mail')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--lab-script-checks', '--lab-script-checks', [CompletionResultType]::ParameterName, 'Also run labs'' `command` and `script` checks on the server when grading a submission, instead of taking the learner''s reported results. They run learner-controlled files: enable only when the server itself runs inside a sandbox (a container or a VM)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cloudmaster;register' {
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'Email address (your login)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Your name, as others see it')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from the first line of stdin instead of prompting')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;login' {
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'Email address of the account')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from the first line of stdin instead of prompting')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;logout' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;whoami' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;token' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a token; its secret is printed once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your tokens (never their secrets)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a token by id')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;token;create' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'A name to recognise the token by, such as `ci-publish`')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'What the token may do: learn, publish or admin (repeatable); never more than your role')
            [CompletionResult]::new('--expires-in-days', '--expires-in-days', [CompletionResultType]::ParameterName, 'Days until the token expires [default: never]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;token;list' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;token;revoke' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;token;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a token; its secret is printed once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your tokens (never their secrets)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a token by id')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;token;help;create' {
            break
        }
        'cloudmaster;token;help;list' {
            break
        }
        'cloudmaster;token;help;revoke' {
            break
        }
        'cloudmaster;token;help;help' {
            break
        }
        'cloudmaster;keys' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Link an SSH public key (a .pub file) to your account')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the SSH keys linked to your account')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Unlink an SSH key by id; it no longer signs in')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;keys;add' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'A name to recognise the key by [default: the key''s comment]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;keys;list' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;keys;remove' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;keys;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Link an SSH public key (a .pub file) to your account')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the SSH keys linked to your account')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Unlink an SSH key by id; it no longer signs in')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;keys;help;add' {
            break
        }
        'cloudmaster;keys;help;list' {
            break
        }
        'cloudmaster;keys;help;remove' {
            break
        }
        'cloudmaster;keys;help;help' {
            break
        }
        'cloudmaster;password' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('change', 'change', [CompletionResultType]::ParameterValue, 'Change your password (asks for the current one; needs a login, not an API token)')
            [CompletionResult]::new('forgot', 'forgot', [CompletionResultType]::ParameterValue, 'Forgot your password? Ask the server to mail a reset code to your address')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Set a new password with a reset code (from the mail, or from an administrator); every session of the account ends')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;password;change' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--stdin', '--stdin', [CompletionResultType]::ParameterName, 'Read the current password and then the new one from the first two lines of stdin instead of prompting')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;password;forgot' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;password;reset' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--stdin', '--stdin', [CompletionResultType]::ParameterName, 'Read the code and then the new password from the first two lines of stdin instead of prompting')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;password;help' {
            [CompletionResult]::new('change', 'change', [CompletionResultType]::ParameterValue, 'Change your password (asks for the current one; needs a login, not an API token)')
            [CompletionResult]::new('forgot', 'forgot', [CompletionResultType]::ParameterValue, 'Forgot your password? Ask the server to mail a reset code to your address')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Set a new password with a reset code (from the mail, or from an administrator); every session of the account ends')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;password;help;change' {
            break
        }
        'cloudmaster;password;help;forgot' {
            break
        }
        'cloudmaster;password;help;reset' {
            break
        }
        'cloudmaster;password;help;help' {
            break
        }
        'cloudmaster;account' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Download everything the server keeps about your account, as JSON')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete your account for good: your learning records, certificates, keys, tokens and tutor conversations go; payments stay, anonymous. Asks for your password and a confirmation (--yes)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;account;export' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write the JSON to FILE (created owner-only) instead of stdout')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;account;delete' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from the first line of stdin instead of prompting')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;account;help' {
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Download everything the server keeps about your account, as JSON')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete your account for good: your learning records, certificates, keys, tokens and tutor conversations go; payments stay, anonymous. Asks for your password and a confirmation (--yes)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;account;help;export' {
            break
        }
        'cloudmaster;account;help;delete' {
            break
        }
        'cloudmaster;account;help;help' {
            break
        }
        'cloudmaster;courses' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List published courses, optionally filtered')
            [CompletionResult]::new('search', 'search', [CompletionResultType]::ParameterValue, 'Full-text search over titles, summaries and lesson text (when logged in, lessons still locked for you are marked)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a course: summary, objectives, exam blueprint and outline')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;courses;list' {
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Only this provider (aws, kubernetes, terraform, ...)')
            [CompletionResult]::new('--level', '--level', [CompletionResultType]::ParameterName, 'Only this level (beginner, intermediate, advanced)')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Only courses with this tag')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--free', '--free', [CompletionResultType]::ParameterName, 'Only free courses')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;courses;search' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most this many results')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;courses;show' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;courses;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List published courses, optionally filtered')
            [CompletionResult]::new('search', 'search', [CompletionResultType]::ParameterValue, 'Full-text search over titles, summaries and lesson text (when logged in, lessons still locked for you are marked)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a course: summary, objectives, exam blueprint and outline')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;courses;help;list' {
            break
        }
        'cloudmaster;courses;help;search' {
            break
        }
        'cloudmaster;courses;help;show' {
            break
        }
        'cloudmaster;courses;help;help' {
            break
        }
        'cloudmaster;enroll' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;unenroll' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;progress' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;learn' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--plain', '--plain', [CompletionResultType]::ParameterName, 'Plain text: no colours and no pager, even on a terminal')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;lesson' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a lesson: rendered and paged on a terminal, plain text in a pipe')
            [CompletionResult]::new('video', 'video', [CompletionResultType]::ParameterValue, 'Open a lesson''s video in the browser (or print its URL)')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Record that you started a lesson')
            [CompletionResult]::new('done', 'done', [CompletionResultType]::ParameterValue, 'Record that you completed a lesson')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;lesson;show' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--plain', '--plain', [CompletionResultType]::ParameterName, 'Plain text: no colours and no pager, even on a terminal')
            [CompletionResult]::new('--transcript', '--transcript', [CompletionResultType]::ParameterName, 'Show the video''s transcript instead of the lesson text')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;lesson;video' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--print', '--print', [CompletionResultType]::ParameterName, 'Only print the URL')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;lesson;start' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;lesson;done' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;lesson;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a lesson: rendered and paged on a terminal, plain text in a pipe')
            [CompletionResult]::new('video', 'video', [CompletionResultType]::ParameterValue, 'Open a lesson''s video in the browser (or print its URL)')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Record that you started a lesson')
            [CompletionResult]::new('done', 'done', [CompletionResultType]::ParameterValue, 'Record that you completed a lesson')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;lesson;help;show' {
            break
        }
        'cloudmaster;lesson;help;video' {
            break
        }
        'cloudmaster;lesson;help;start' {
            break
        }
        'cloudmaster;lesson;help;done' {
            break
        }
        'cloudmaster;lesson;help;help' {
            break
        }
        'cloudmaster;quiz' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List a course''s module quizzes with your attempts and best score')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Take a quiz (or resume your open attempt); exits 0 when passed, 1 when not')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;quiz;list' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;quiz;start' {
            [CompletionResult]::new('--answers', '--answers', [CompletionResultType]::ParameterName, 'Answer from a YAML or JSON file mapping question ids to answers (`a`, `[a, c]`, `true`, `262.8`, `text`) instead of at the terminal')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--brief', '--brief', [CompletionResultType]::ParameterName, 'After submitting, show only the score and the per-domain table')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;quiz;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List a course''s module quizzes with your attempts and best score')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Take a quiz (or resume your open attempt); exits 0 when passed, 1 when not')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;quiz;help;list' {
            break
        }
        'cloudmaster;quiz;help;start' {
            break
        }
        'cloudmaster;quiz;help;help' {
            break
        }
        'cloudmaster;exam' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Take the mock exam (or resume your open attempt); exits 0 when passed, 1 when not')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;exam;start' {
            [CompletionResult]::new('--answers', '--answers', [CompletionResultType]::ParameterName, 'Answer from a YAML or JSON file mapping question ids to answers (`a`, `[a, c]`, `true`, `262.8`, `text`) instead of at the terminal')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--brief', '--brief', [CompletionResultType]::ParameterName, 'After submitting, show only the score and the per-domain table')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;exam;help' {
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Take the mock exam (or resume your open attempt); exits 0 when passed, 1 when not')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;exam;help;start' {
            break
        }
        'cloudmaster;exam;help;help' {
            break
        }
        'cloudmaster;attempts' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one attempt: score, per-domain table, and each question with the right answer; for an open attempt, its questions with their options lettered as shown')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;attempts;show' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--brief', '--brief', [CompletionResultType]::ParameterName, 'Only the score and the per-domain table (for an open attempt, only where it stands)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;attempts;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one attempt: score, per-domain table, and each question with the right answer; for an open attempt, its questions with their options lettered as shown')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;attempts;help;show' {
            break
        }
        'cloudmaster;attempts;help;help' {
            break
        }
        'cloudmaster;review' {
            [CompletionResult]::new('--course', '--course', [CompletionResultType]::ParameterName, 'Only items of this course')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most this many items [default: the server''s, 20]')
            [CompletionResult]::new('--answers', '--answers', [CompletionResultType]::ParameterName, 'Answer from a YAML or JSON file mapping question ids to answers (as for `quiz start`), options named by the letters the items show (see --list)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'Only list the items due, each with its options lettered as it shows them; answers nothing')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;tutor' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('ask', 'ask', [CompletionResultType]::ParameterValue, 'Ask one question; the answer streams as it is written, then the passages it cites')
            [CompletionResult]::new('chat', 'chat', [CompletionResultType]::ParameterValue, 'Talk with the tutor: questions and answers in one conversation until /quit or Ctrl-D')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List your conversations with the tutor, or show one')
            [CompletionResult]::new('forget', 'forget', [CompletionResultType]::ParameterValue, 'Delete a conversation, or all of them')
            [CompletionResult]::new('budget', 'budget', [CompletionResultType]::ParameterValue, 'Show the tutor tokens you used today, your daily budget and when it resets')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;tutor;ask' {
            [CompletionResult]::new('--course', '--course', [CompletionResultType]::ParameterName, 'Ask about this course [default: the lab workspace''s course, else every course you are enrolled in]')
            [CompletionResult]::new('--lesson', '--lesson', [CompletionResultType]::ParameterName, 'The lesson you are reading: LESSON with --course, or COURSE/LESSON')
            [CompletionResult]::new('--lab', '--lab', [CompletionResultType]::ParameterName, 'The lab workspace the question is about [default: the one holding the current folder, if any]')
            [CompletionResult]::new('--conversation', '--conversation', [CompletionResultType]::ParameterName, 'Continue this conversation (its id is in `cloudmaster tutor history`) [default: a new one]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--speak', '--speak', [CompletionResultType]::ParameterName, 'Read the answer aloud afterwards with espeak-ng (or espeak), when installed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cloudmaster;tutor;chat' {
            [CompletionResult]::new('--course', '--course', [CompletionResultType]::ParameterName, 'Ask about this course [default: the lab workspace''s course, else every course you are enrolled in]')
            [CompletionResult]::new('--lesson', '--lesson', [CompletionResultType]::ParameterName, 'The lesson you are reading: LESSON with --course, or COURSE/LESSON')
            [CompletionResult]::new('--lab', '--lab', [CompletionResultType]::ParameterName, 'The lab workspace the question is about [default: the one holding the current folder, if any]')
            [CompletionResult]::new('--conversation', '--conversation', [CompletionResultType]::ParameterName, 'Continue this conversation (its id is in `cloudmaster tutor history`) [default: a new one]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cloudmaster;tutor;history' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cloudmaster;tutor;forget' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Delete every conversation (asks first; --yes answers)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cloudmaster;tutor;budget' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cloudmaster;tutor;help' {
            [CompletionResult]::new('ask', 'ask', [CompletionResultType]::ParameterValue, 'Ask one question; the answer streams as it is written, then the passages it cites')
            [CompletionResult]::new('chat', 'chat', [CompletionResultType]::ParameterValue, 'Talk with the tutor: questions and answers in one conversation until /quit or Ctrl-D')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List your conversations with the tutor, or show one')
            [CompletionResult]::new('forget', 'forget', [CompletionResultType]::ParameterValue, 'Delete a conversation, or all of them')
            [CompletionResult]::new('budget', 'budget', [CompletionResultType]::ParameterValue, 'Show the tutor tokens you used today, your daily budget and when it resets')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;tutor;help;ask' {
            break
        }
        'cloudmaster;tutor;help;chat' {
            break
        }
        'cloudmaster;tutor;help;history' {
            break
        }
        'cloudmaster;tutor;help;forget' {
            break
        }
        'cloudmaster;tutor;help;budget' {
            break
        }
        'cloudmaster;tutor;help;help' {
            break
        }
        'cloudmaster;mastery' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;readiness' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;cert' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your certificates')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a certificate and whether it was revoked')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Save a certificate: the signed file (default) or an Open Badges 3.0 credential')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a certificate file''s signature with the issuer''s key, then its revocation')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a certificate (admin)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;cert;list' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;cert;show' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;cert;export' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'What to write')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write to this file instead of standard output')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'cloudmaster;cert;verify' {
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The issuer''s key file (the server''s /.well-known/cloudmaster/issuer.json, saved) [default: the key saved for the server on the first online verify]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Check the signature only; do not ask the server whether the certificate was revoked')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;cert;revoke' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why; shown to anyone who checks the certificate')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;cert;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your certificates')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a certificate and whether it was revoked')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Save a certificate: the signed file (default) or an Open Badges 3.0 credential')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a certificate file''s signature with the issuer''s key, then its revocation')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a certificate (admin)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;cert;help;list' {
            break
        }
        'cloudmaster;cert;help;show' {
            break
        }
        'cloudmaster;cert;help;export' {
            break
        }
        'cloudmaster;cert;help;verify' {
            break
        }
        'cloudmaster;cert;help;revoke' {
            break
        }
        'cloudmaster;cert;help;help' {
            break
        }
        'cloudmaster;lab' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List a course''s labs with your standing and the local tools they need')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start (or resume) a lab session and write the starter files into a workspace folder')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the session of this workspace: time left, steps done, current step')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Run the current step''s checks locally; exits 0 only when they all pass')
            [CompletionResult]::new('hint', 'hint', [CompletionResultType]::ParameterValue, 'Reveal the next hint of the current step')
            [CompletionResult]::new('solution', 'solution', [CompletionResultType]::ParameterValue, 'Write a step''s solution into the workspace (after it passed, or skipping it)')
            [CompletionResult]::new('submit', 'submit', [CompletionResultType]::ParameterValue, 'Upload the workspace for grading; exits 0 only when the lab passes')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Put the current step, another step or the whole lab back to how it starts')
            [CompletionResult]::new('abandon', 'abandon', [CompletionResultType]::ParameterValue, 'End the session without finishing it (the workspace files stay)')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'For authors: every step must fail on the starter files and pass after its solution')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;lab;list' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;lab;start' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Workspace folder [default: ./COURSE-LAB]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Use DIR even though it holds other files (starter files are written over same-named ones)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;lab;status' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The lab workspace [default: the one holding the current folder]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;lab;check' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The lab workspace [default: the one holding the current folder]')
            [CompletionResult]::new('--step', '--step', [CompletionResultType]::ParameterName, 'Check this step instead of the current one')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Check again whenever a file of the workspace changes, until every step passes (Ctrl-C stops)')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'With --watch: notice changes by looking every 500 ms instead of by file-system notifications')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;lab;hint' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The lab workspace [default: the one holding the current folder]')
            [CompletionResult]::new('--step', '--step', [CompletionResultType]::ParameterName, 'A hint for this step instead of the current one')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;lab;solution' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The lab workspace [default: the one holding the current folder]')
            [CompletionResult]::new('--step', '--step', [CompletionResultType]::ParameterName, 'The solution of this step instead of the current one')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--skip', '--skip', [CompletionResultType]::ParameterName, 'Reveal it although the step has not passed: the step is skipped and gives no credit')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;lab;submit' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The lab workspace [default: the one holding the current folder]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;lab;reset' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The lab workspace [default: the one holding the current folder]')
            [CompletionResult]::new('--step', '--step', [CompletionResultType]::ParameterName, 'Reset this step (and the files of the steps after it) instead of the current one')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Reset the whole lab to its starter files')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;lab;abandon' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The lab workspace [default: the one holding the current folder]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;lab;test' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;lab;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List a course''s labs with your standing and the local tools they need')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start (or resume) a lab session and write the starter files into a workspace folder')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the session of this workspace: time left, steps done, current step')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Run the current step''s checks locally; exits 0 only when they all pass')
            [CompletionResult]::new('hint', 'hint', [CompletionResultType]::ParameterValue, 'Reveal the next hint of the current step')
            [CompletionResult]::new('solution', 'solution', [CompletionResultType]::ParameterValue, 'Write a step''s solution into the workspace (after it passed, or skipping it)')
            [CompletionResult]::new('submit', 'submit', [CompletionResultType]::ParameterValue, 'Upload the workspace for grading; exits 0 only when the lab passes')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Put the current step, another step or the whole lab back to how it starts')
            [CompletionResult]::new('abandon', 'abandon', [CompletionResultType]::ParameterValue, 'End the session without finishing it (the workspace files stay)')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'For authors: every step must fail on the starter files and pass after its solution')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;lab;help;list' {
            break
        }
        'cloudmaster;lab;help;start' {
            break
        }
        'cloudmaster;lab;help;status' {
            break
        }
        'cloudmaster;lab;help;check' {
            break
        }
        'cloudmaster;lab;help;hint' {
            break
        }
        'cloudmaster;lab;help;solution' {
            break
        }
        'cloudmaster;lab;help;submit' {
            break
        }
        'cloudmaster;lab;help;reset' {
            break
        }
        'cloudmaster;lab;help;abandon' {
            break
        }
        'cloudmaster;lab;help;test' {
            break
        }
        'cloudmaster;lab;help;help' {
            break
        }
        'cloudmaster;course' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Scaffold a new course (a small valid course to start from)')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check a course or a catalog of courses; exits 1 when there are errors')
            [CompletionResult]::new('preview', 'preview', [CompletionResultType]::ParameterValue, 'Open the TUI on local course files, with no server: read the lessons, take the quizzes (graded here, with explanations), run the labs'' checks')
            [CompletionResult]::new('versions', 'versions', [CompletionResultType]::ParameterValue, 'List the published versions of a course')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Publish an earlier version''s content again, as a new version')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;course;new' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Folder to create [default: ./ID]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;course;validate' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;course;preview' {
            [CompletionResult]::new('--lab-dir', '--lab-dir', [CompletionResultType]::ParameterName, 'Folder for lab workspaces [default: a temporary folder, removed afterwards]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;course;versions' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;course;rollback' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The version whose content to restore')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;course;help' {
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Scaffold a new course (a small valid course to start from)')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check a course or a catalog of courses; exits 1 when there are errors')
            [CompletionResult]::new('preview', 'preview', [CompletionResultType]::ParameterValue, 'Open the TUI on local course files, with no server: read the lessons, take the quizzes (graded here, with explanations), run the labs'' checks')
            [CompletionResult]::new('versions', 'versions', [CompletionResultType]::ParameterValue, 'List the published versions of a course')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Publish an earlier version''s content again, as a new version')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;course;help;new' {
            break
        }
        'cloudmaster;course;help;validate' {
            break
        }
        'cloudmaster;course;help;preview' {
            break
        }
        'cloudmaster;course;help;versions' {
            break
        }
        'cloudmaster;course;help;rollback' {
            break
        }
        'cloudmaster;course;help;help' {
            break
        }
        'cloudmaster;publish' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the plan and let the server validate it, without publishing')
            [CompletionResult]::new('--skip-lab-tests', '--skip-lab-tests', [CompletionResultType]::ParameterName, 'Publish without testing the labs first (when this machine lacks the tools their checks run)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;tui' {
            [CompletionResult]::new('--colors', '--colors', [CompletionResultType]::ParameterName, 'Colours to draw with: 16 (the named ANSI colours, for the Linux console and old terminals), 256 or truecolor [default: from COLORTERM and TERM: truecolor when COLORTERM says so, 256 when TERM has `256color`, else 16]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;billing' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('plans', 'plans', [CompletionResultType]::ParameterValue, 'List the premium plans (and the sandbox''s test cards)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show your tier, subscription and purchased courses')
            [CompletionResult]::new('checkout', 'checkout', [CompletionResultType]::ParameterValue, 'Buy a course')
            [CompletionResult]::new('subscribe', 'subscribe', [CompletionResultType]::ParameterValue, 'Subscribe to a premium plan: every course opens while it lasts')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel your subscription at the end of the period paid for')
            [CompletionResult]::new('payments', 'payments', [CompletionResultType]::ParameterValue, 'List your payments')
            [CompletionResult]::new('receipt', 'receipt', [CompletionResultType]::ParameterValue, 'Show a payment''s receipt')
            [CompletionResult]::new('refund', 'refund', [CompletionResultType]::ParameterValue, 'Refund a payment, wholly or in part (admins)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;billing;plans' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;billing;status' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;billing;checkout' {
            [CompletionResult]::new('--coupon', '--coupon', [CompletionResultType]::ParameterName, 'A coupon code')
            [CompletionResult]::new('--card', '--card', [CompletionResultType]::ParameterName, 'Sandbox servers: the test card to pay with (`cloudmaster billing plans` lists them); asked for when left out')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Seconds to wait for the payment to settle before giving up (it stays pending)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Do not open a browser on the provider''s payment page')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;billing;subscribe' {
            [CompletionResult]::new('--coupon', '--coupon', [CompletionResultType]::ParameterName, 'A coupon code (for the first period)')
            [CompletionResult]::new('--card', '--card', [CompletionResultType]::ParameterName, 'Sandbox servers: the test card to pay with (`cloudmaster billing plans` lists them); asked for when left out')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Seconds to wait for the payment to settle before giving up (it stays pending)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Do not open a browser on the provider''s payment page')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;billing;cancel' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;billing;payments' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;billing;receipt' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;billing;refund' {
            [CompletionResult]::new('--amount', '--amount', [CompletionResultType]::ParameterName, 'Amount in the payment''s currency, such as 10.00 [default: all that is left]')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, kept in the payment''s history')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;billing;help' {
            [CompletionResult]::new('plans', 'plans', [CompletionResultType]::ParameterValue, 'List the premium plans (and the sandbox''s test cards)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show your tier, subscription and purchased courses')
            [CompletionResult]::new('checkout', 'checkout', [CompletionResultType]::ParameterValue, 'Buy a course')
            [CompletionResult]::new('subscribe', 'subscribe', [CompletionResultType]::ParameterValue, 'Subscribe to a premium plan: every course opens while it lasts')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel your subscription at the end of the period paid for')
            [CompletionResult]::new('payments', 'payments', [CompletionResultType]::ParameterValue, 'List your payments')
            [CompletionResult]::new('receipt', 'receipt', [CompletionResultType]::ParameterValue, 'Show a payment''s receipt')
            [CompletionResult]::new('refund', 'refund', [CompletionResultType]::ParameterValue, 'Refund a payment, wholly or in part (admins)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;billing;help;plans' {
            break
        }
        'cloudmaster;billing;help;status' {
            break
        }
        'cloudmaster;billing;help;checkout' {
            break
        }
        'cloudmaster;billing;help;subscribe' {
            break
        }
        'cloudmaster;billing;help;cancel' {
            break
        }
        'cloudmaster;billing;help;payments' {
            break
        }
        'cloudmaster;billing;help;receipt' {
            break
        }
        'cloudmaster;billing;help;refund' {
            break
        }
        'cloudmaster;billing;help;help' {
            break
        }
        'cloudmaster;admin' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('users', 'users', [CompletionResultType]::ParameterValue, 'List accounts, change a role, suspend an account or lift its suspension')
            [CompletionResult]::new('revenue', 'revenue', [CompletionResultType]::ParameterValue, 'Revenue per day, course or plan, and currency, refunds netted')
            [CompletionResult]::new('coupons', 'coupons', [CompletionResultType]::ParameterValue, 'Create, list and disable coupons')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;admin;users' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every account, oldest first, with its role, tier and whether it is suspended')
            [CompletionResult]::new('role', 'role', [CompletionResultType]::ParameterValue, 'Change an account''s role (from its next request on)')
            [CompletionResult]::new('suspend', 'suspend', [CompletionResultType]::ParameterValue, 'Suspend an account: it cannot log in, its sessions, API tokens and SSH keys are refused, its TUI sessions over SSH end; nothing of it is deleted')
            [CompletionResult]::new('unsuspend', 'unsuspend', [CompletionResultType]::ParameterValue, 'Lift an account''s suspension: its sessions and tokens work again')
            [CompletionResult]::new('reset-password', 'reset-password', [CompletionResultType]::ParameterValue, 'Make a code that resets an account''s password (works once, for 30 minutes), to hand to its owner, who runs `cloudmaster password reset`; nothing is mailed')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export everything kept about an account as JSON, for its owner (a data access request)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Erase an account (a data erasure request): its sessions, tokens, keys, learning records, certificates and tutor conversations are deleted; its payments stay, against an anonymous account. Asks for confirmation (--yes)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;admin;users;list' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;admin;users;role' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;admin;users;suspend' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;admin;users;unsuspend' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;admin;users;reset-password' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;admin;users;export' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write the JSON to FILE (created owner-only) instead of stdout')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;admin;users;delete' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;admin;users;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every account, oldest first, with its role, tier and whether it is suspended')
            [CompletionResult]::new('role', 'role', [CompletionResultType]::ParameterValue, 'Change an account''s role (from its next request on)')
            [CompletionResult]::new('suspend', 'suspend', [CompletionResultType]::ParameterValue, 'Suspend an account: it cannot log in, its sessions, API tokens and SSH keys are refused, its TUI sessions over SSH end; nothing of it is deleted')
            [CompletionResult]::new('unsuspend', 'unsuspend', [CompletionResultType]::ParameterValue, 'Lift an account''s suspension: its sessions and tokens work again')
            [CompletionResult]::new('reset-password', 'reset-password', [CompletionResultType]::ParameterValue, 'Make a code that resets an account''s password (works once, for 30 minutes), to hand to its owner, who runs `cloudmaster password reset`; nothing is mailed')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export everything kept about an account as JSON, for its owner (a data access request)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Erase an account (a data erasure request): its sessions, tokens, keys, learning records, certificates and tutor conversations are deleted; its payments stay, against an anonymous account. Asks for confirmation (--yes)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;admin;users;help;list' {
            break
        }
        'cloudmaster;admin;users;help;role' {
            break
        }
        'cloudmaster;admin;users;help;suspend' {
            break
        }
        'cloudmaster;admin;users;help;unsuspend' {
            break
        }
        'cloudmaster;admin;users;help;reset-password' {
            break
        }
        'cloudmaster;admin;users;help;export' {
            break
        }
        'cloudmaster;admin;users;help;delete' {
            break
        }
        'cloudmaster;admin;users;help;help' {
            break
        }
        'cloudmaster;admin;revenue' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The last day, YYYY-MM-DD (UTC) [default: today]')
            [CompletionResult]::new('--days', '--days', [CompletionResultType]::ParameterName, 'How many days up to --to, 1 to 366 [default: 30]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;admin;coupons' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a coupon')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every coupon')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable a coupon: no new checkout can use it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;admin;coupons;create' {
            [CompletionResult]::new('--percent-off', '--percent-off', [CompletionResultType]::ParameterName, 'Per cent off, 1 to 100')
            [CompletionResult]::new('--amount-off', '--amount-off', [CompletionResultType]::ParameterName, 'An amount off, such as 10.00 (with --currency)')
            [CompletionResult]::new('--currency', '--currency', [CompletionResultType]::ParameterName, 'The currency of --amount-off, such as USD')
            [CompletionResult]::new('--course', '--course', [CompletionResultType]::ParameterName, 'Only for this course [default: every course and plan]')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'When it stops working: an RFC 3339 time, such as 2027-01-31T23:59:59Z')
            [CompletionResult]::new('--max-redemptions', '--max-redemptions', [CompletionResultType]::ParameterName, 'How many checkouts may use it [default: no limit]')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;admin;coupons;list' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;admin;coupons;disable' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;admin;coupons;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a coupon')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every coupon')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable a coupon: no new checkout can use it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;admin;coupons;help;create' {
            break
        }
        'cloudmaster;admin;coupons;help;list' {
            break
        }
        'cloudmaster;admin;coupons;help;disable' {
            break
        }
        'cloudmaster;admin;coupons;help;help' {
            break
        }
        'cloudmaster;admin;help' {
            [CompletionResult]::new('users', 'users', [CompletionResultType]::ParameterValue, 'List accounts, change a role, suspend an account or lift its suspension')
            [CompletionResult]::new('revenue', 'revenue', [CompletionResultType]::ParameterValue, 'Revenue per day, course or plan, and currency, refunds netted')
            [CompletionResult]::new('coupons', 'coupons', [CompletionResultType]::ParameterValue, 'Create, list and disable coupons')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;admin;help;users' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every account, oldest first, with its role, tier and whether it is suspended')
            [CompletionResult]::new('role', 'role', [CompletionResultType]::ParameterValue, 'Change an account''s role (from its next request on)')
            [CompletionResult]::new('suspend', 'suspend', [CompletionResultType]::ParameterValue, 'Suspend an account: it cannot log in, its sessions, API tokens and SSH keys are refused, its TUI sessions over SSH end; nothing of it is deleted')
            [CompletionResult]::new('unsuspend', 'unsuspend', [CompletionResultType]::ParameterValue, 'Lift an account''s suspension: its sessions and tokens work again')
            [CompletionResult]::new('reset-password', 'reset-password', [CompletionResultType]::ParameterValue, 'Make a code that resets an account''s password (works once, for 30 minutes), to hand to its owner, who runs `cloudmaster password reset`; nothing is mailed')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export everything kept about an account as JSON, for its owner (a data access request)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Erase an account (a data erasure request): its sessions, tokens, keys, learning records, certificates and tutor conversations are deleted; its payments stay, against an anonymous account. Asks for confirmation (--yes)')
            break
        }
        'cloudmaster;admin;help;users;list' {
            break
        }
        'cloudmaster;admin;help;users;role' {
            break
        }
        'cloudmaster;admin;help;users;suspend' {
            break
        }
        'cloudmaster;admin;help;users;unsuspend' {
            break
        }
        'cloudmaster;admin;help;users;reset-password' {
            break
        }
        'cloudmaster;admin;help;users;export' {
            break
        }
        'cloudmaster;admin;help;users;delete' {
            break
        }
        'cloudmaster;admin;help;revenue' {
            break
        }
        'cloudmaster;admin;help;coupons' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a coupon')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every coupon')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable a coupon: no new checkout can use it')
            break
        }
        'cloudmaster;admin;help;coupons;create' {
            break
        }
        'cloudmaster;admin;help;coupons;list' {
            break
        }
        'cloudmaster;admin;help;coupons;disable' {
            break
        }
        'cloudmaster;admin;help;help' {
            break
        }
        'cloudmaster;config' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of config.toml (-o json: every path)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the settings in force and where each comes from')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set a key in config.toml: server, output, timeout_seconds, credentials (for the current profile), profiles.NAME.KEY, or default_profile')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;config;path' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;config;show' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;config;set' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;config;help' {
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of config.toml (-o json: every path)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the settings in force and where each comes from')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set a key in config.toml: server, output, timeout_seconds, credentials (for the current profile), profiles.NAME.KEY, or default_profile')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;config;help;path' {
            break
        }
        'cloudmaster;config;help;show' {
            break
        }
        'cloudmaster;config;help;set' {
            break
        }
        'cloudmaster;config;help;help' {
            break
        }
        'cloudmaster;doctor' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;completions' {
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;generate-docs' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'The folder to write completions/ and man/ into')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server URL [default: from the profile, else http://127.0.0.1:8080/]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Configuration profile [default: default_profile in config.toml, else `default`]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of commands that print data [default: from the profile, else table]')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for: no progress bars, notices or hints')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'Disable colour (also when NO_COLOR is set)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to confirmations (needed for them when stdin is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'cloudmaster;help' {
            [CompletionResult]::new('quickstart', 'quickstart', [CompletionResultType]::ParameterValue, 'Start a local server with the bundled courses, log in as a demo learner, open the TUI')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the server (same as the cloudmaster-server binary)')
            [CompletionResult]::new('register', 'register', [CompletionResultType]::ParameterValue, 'Create an account and log in')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in and store the session')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Revoke the session on the server and forget it here')
            [CompletionResult]::new('whoami', 'whoami', [CompletionResultType]::ParameterValue, 'Show who you are logged in as, and with which credential')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Manage personal API tokens (for CI)')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'Link SSH public keys to your account, to use the TUI over SSH')
            [CompletionResult]::new('password', 'password', [CompletionResultType]::ParameterValue, 'Change your password, or reset a forgotten one with a mailed code')
            [CompletionResult]::new('account', 'account', [CompletionResultType]::ParameterValue, 'Download everything the server keeps about your account, or delete it')
            [CompletionResult]::new('courses', 'courses', [CompletionResultType]::ParameterValue, 'Browse the catalog')
            [CompletionResult]::new('enroll', 'enroll', [CompletionResultType]::ParameterValue, 'Enroll in a course')
            [CompletionResult]::new('unenroll', 'unenroll', [CompletionResultType]::ParameterValue, 'Leave a course')
            [CompletionResult]::new('progress', 'progress', [CompletionResultType]::ParameterValue, 'Show your progress in every enrolled course, or in one')
            [CompletionResult]::new('learn', 'learn', [CompletionResultType]::ParameterValue, 'Open the next lesson of a course (where you left off)')
            [CompletionResult]::new('lesson', 'lesson', [CompletionResultType]::ParameterValue, 'Read lessons and record progress')
            [CompletionResult]::new('quiz', 'quiz', [CompletionResultType]::ParameterValue, 'List and take module quizzes')
            [CompletionResult]::new('exam', 'exam', [CompletionResultType]::ParameterValue, 'Take a course''s timed mock exam')
            [CompletionResult]::new('attempts', 'attempts', [CompletionResultType]::ParameterValue, 'List your quiz and exam attempts, or show one')
            [CompletionResult]::new('review', 'review', [CompletionResultType]::ParameterValue, 'Answer the spaced-review questions that are due')
            [CompletionResult]::new('tutor', 'tutor', [CompletionResultType]::ParameterValue, 'Ask the AI tutor about your courses and labs; see its conversations and budget')
            [CompletionResult]::new('mastery', 'mastery', [CompletionResultType]::ParameterValue, 'Show your mastery per exam domain and skill')
            [CompletionResult]::new('readiness', 'readiness', [CompletionResultType]::ParameterValue, 'Predict your chance of passing the certification exam')
            [CompletionResult]::new('cert', 'cert', [CompletionResultType]::ParameterValue, 'List, show, verify and export certificates')
            [CompletionResult]::new('lab', 'lab', [CompletionResultType]::ParameterValue, 'Hands-on labs: start, check, hint, submit, reset, abandon, test')
            [CompletionResult]::new('course', 'course', [CompletionResultType]::ParameterValue, 'Author courses: scaffold, validate, list versions, roll back')
            [CompletionResult]::new('publish', 'publish', [CompletionResultType]::ParameterValue, 'Validate and publish a course or a catalog of courses')
            [CompletionResult]::new('tui', 'tui', [CompletionResultType]::ParameterValue, 'Open the terminal UI against the server you are logged in to')
            [CompletionResult]::new('billing', 'billing', [CompletionResultType]::ParameterValue, 'Buy courses and premium, see payments and receipts, cancel, refund')
            [CompletionResult]::new('admin', 'admin', [CompletionResultType]::ParameterValue, 'Administration: accounts, revenue and coupons')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show or change the configuration')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check configuration, server, credentials and lab tools')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('generate-docs', 'generate-docs', [CompletionResultType]::ParameterValue, 'Write completions/ and man/ (for maintainers)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'cloudmaster;help;quickstart' {
            break
        }
        'cloudmaster;help;serve' {
            break
        }
        'cloudmaster;help;register' {
            break
        }
        'cloudmaster;help;login' {
            break
        }
        'cloudmaster;help;logout' {
            break
        }
        'cloudmaster;help;whoami' {
            break
        }
        'cloudmaster;help;token' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a token; its secret is printed once')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your tokens (never their secrets)')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a token by id')
            break
        }
        'cloudmaster;help;token;create' {
            break
        }
        'cloudmaster;help;token;list' {
            break
        }
        'cloudmaster;help;token;revoke' {
            break
        }
        'cloudmaster;help;keys' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Link an SSH public key (a .pub file) to your account')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the SSH keys linked to your account')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Unlink an SSH key by id; it no longer signs in')
            break
        }
        'cloudmaster;help;keys;add' {
            break
        }
        'cloudmaster;help;keys;list' {
            break
        }
        'cloudmaster;help;keys;remove' {
            break
        }
        'cloudmaster;help;password' {
            [CompletionResult]::new('change', 'change', [CompletionResultType]::ParameterValue, 'Change your password (asks for the current one; needs a login, not an API token)')
            [CompletionResult]::new('forgot', 'forgot', [CompletionResultType]::ParameterValue, 'Forgot your password? Ask the server to mail a reset code to your address')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Set a new password with a reset code (from the mail, or from an administrator); every session of the account ends')
            break
        }
        'cloudmaster;help;password;change' {
            break
        }
        'cloudmaster;help;password;forgot' {
            break
        }
        'cloudmaster;help;password;reset' {
            break
        }
        'cloudmaster;help;account' {
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Download everything the server keeps about your account, as JSON')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete your account for good: your learning records, certificates, keys, tokens and tutor conversations go; payments stay, anonymous. Asks for your password and a confirmation (--yes)')
            break
        }
        'cloudmaster;help;account;export' {
            break
        }
        'cloudmaster;help;account;delete' {
            break
        }
        'cloudmaster;help;courses' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List published courses, optionally filtered')
            [CompletionResult]::new('search', 'search', [CompletionResultType]::ParameterValue, 'Full-text search over titles, summaries and lesson text (when logged in, lessons still locked for you are marked)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a course: summary, objectives, exam blueprint and outline')
            break
        }
        'cloudmaster;help;courses;list' {
            break
        }
        'cloudmaster;help;courses;search' {
            break
        }
        'cloudmaster;help;courses;show' {
            break
        }
        'cloudmaster;help;enroll' {
            break
        }
        'cloudmaster;help;unenroll' {
            break
        }
        'cloudmaster;help;progress' {
            break
        }
        'cloudmaster;help;learn' {
            break
        }
        'cloudmaster;help;lesson' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a lesson: rendered and paged on a terminal, plain text in a pipe')
            [CompletionResult]::new('video', 'video', [CompletionResultType]::ParameterValue, 'Open a lesson''s video in the browser (or print its URL)')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Record that you started a lesson')
            [CompletionResult]::new('done', 'done', [CompletionResultType]::ParameterValue, 'Record that you completed a lesson')
            break
        }
        'cloudmaster;help;lesson;show' {
            break
        }
        'cloudmaster;help;lesson;video' {
            break
        }
        'cloudmaster;help;lesson;start' {
            break
        }
        'cloudmaster;help;lesson;done' {
            break
        }
        'cloudmaster;help;quiz' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List a course''s module quizzes with your attempts and best score')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Take a quiz (or resume your open attempt); exits 0 when passed, 1 when not')
            break
        }
        'cloudmaster;help;quiz;list' {
            break
        }
        'cloudmaster;help;quiz;start' {
            break
        }
        'cloudmaster;help;exam' {
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Take the mock exam (or resume your open attempt); exits 0 when passed, 1 when not')
            break
        }
        'cloudmaster;help;exam;start' {
            break
        }
        'cloudmaster;help;attempts' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one attempt: score, per-domain table, and each question with the right answer; for an open attempt, its questions with their options lettered as shown')
            break
        }
        'cloudmaster;help;attempts;show' {
            break
        }
        'cloudmaster;help;review' {
            break
        }
        'cloudmaster;help;tutor' {
            [CompletionResult]::new('ask', 'ask', [CompletionResultType]::ParameterValue, 'Ask one question; the answer streams as it is written, then the passages it cites')
            [CompletionResult]::new('chat', 'chat', [CompletionResultType]::ParameterValue, 'Talk with the tutor: questions and answers in one conversation until /quit or Ctrl-D')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'List your conversations with the tutor, or show one')
            [CompletionResult]::new('forget', 'forget', [CompletionResultType]::ParameterValue, 'Delete a conversation, or all of them')
            [CompletionResult]::new('budget', 'budget', [CompletionResultType]::ParameterValue, 'Show the tutor tokens you used today, your daily budget and when it resets')
            break
        }
        'cloudmaster;help;tutor;ask' {
            break
        }
        'cloudmaster;help;tutor;chat' {
            break
        }
        'cloudmaster;help;tutor;history' {
            break
        }
        'cloudmaster;help;tutor;forget' {
            break
        }
        'cloudmaster;help;tutor;budget' {
            break
        }
        'cloudmaster;help;mastery' {
            break
        }
        'cloudmaster;help;readiness' {
            break
        }
        'cloudmaster;help;cert' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List your certificates')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a certificate and whether it was revoked')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Save a certificate: the signed file (default) or an Open Badges 3.0 credential')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a certificate file''s signature with the issuer''s key, then its revocation')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a certificate (admin)')
            break
        }
        'cloudmaster;help;cert;list' {
            break
        }
        'cloudmaster;help;cert;show' {
            break
        }
        'cloudmaster;help;cert;export' {
            break
        }
        'cloudmaster;help;cert;verify' {
            break
        }
        'cloudmaster;help;cert;revoke' {
            break
        }
        'cloudmaster;help;lab' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List a course''s labs with your standing and the local tools they need')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start (or resume) a lab session and write the starter files into a workspace folder')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the session of this workspace: time left, steps done, current step')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Run the current step''s checks locally; exits 0 only when they all pass')
            [CompletionResult]::new('hint', 'hint', [CompletionResultType]::ParameterValue, 'Reveal the next hint of the current step')
            [CompletionResult]::new('solution', 'solution', [CompletionResultType]::ParameterValue, 'Write a step''s solution into the workspace (after it passed, or skipping it)')
            [CompletionResult]::new('submit', 'submit', [CompletionResultType]::ParameterValue, 'Upload the workspace for grading; exits 0 only when the lab passes')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Put the current step, another step or the whole lab back to how it starts')
            [CompletionResult]::new('abandon', 'abandon', [CompletionResultType]::ParameterValue, 'End the session without finishing it (the workspace files stay)')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'For authors: every step must fail on the starter files and pass after its solution')
            break
        }
        'cloudmaster;help;lab;list' {
            break
        }
        'cloudmaster;help;lab;start' {
            break
        }
        'cloudmaster;help;lab;status' {
            break
        }
        'cloudmaster;help;lab;check' {
            break
        }
        'cloudmaster;help;lab;hint' {
            break
        }
        'cloudmaster;help;lab;solution' {
            break
        }
        'cloudmaster;help;lab;submit' {
            break
        }
        'cloudmaster;help;lab;reset' {
            break
        }
        'cloudmaster;help;lab;abandon' {
            break
        }
        'cloudmaster;help;lab;test' {
            break
        }
        'cloudmaster;help;course' {
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Scaffold a new course (a small valid course to start from)')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check a course or a catalog of courses; exits 1 when there are errors')
            [CompletionResult]::new('preview', 'preview', [CompletionResultType]::ParameterValue, 'Open the TUI on local course files, with no server: read the lessons, take the quizzes (graded here, with explanations), run the labs'' checks')
            [CompletionResult]::new('versions', 'versions', [CompletionResultType]::ParameterValue, 'List the published versions of a course')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Publish an earlier version''s content again, as a new version')
            break
        }
        'cloudmaster;help;course;new' {
            break
        }
        'cloudmaster;help;course;validate' {
            break
        }
        'cloudmaster;help;course;preview' {
            break
        }
        'cloudmaster;help;course;versions' {
            break
        }
        'cloudmaster;help;course;rollback' {
            break
        }
        'cloudmaster;help;publish' {
            break
        }
        'cloudmaster;help;tui' {
            break
        }
        'cloudmaster;help;billing' {
            [CompletionResult]::new('plans', 'plans', [CompletionResultType]::ParameterValue, 'List the premium plans (and the sandbox''s test cards)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show your tier, subscription and purchased courses')
            [CompletionResult]::new('checkout', 'checkout', [CompletionResultType]::ParameterValue, 'Buy a course')
            [CompletionResult]::new('subscribe', 'subscribe', [CompletionResultType]::ParameterValue, 'Subscribe to a premium plan: every course opens while it lasts')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel your subscription at the end of the period paid for')
            [CompletionResult]::new('payments', 'payments', [CompletionResultType]::ParameterValue, 'List your payments')
            [CompletionResult]::new('receipt', 'receipt', [CompletionResultType]::ParameterValue, 'Show a payment''s receipt')
            [CompletionResult]::new('refund', 'refund', [CompletionResultType]::ParameterValue, 'Refund a payment, wholly or in part (admins)')
            break
        }
        'cloudmaster;help;billing;plans' {
            break
        }
        'cloudmaster;help;billing;status' {
            break
        }
        'cloudmaster;help;billing;checkout' {
            break
        }
        'cloudmaster;help;billing;subscribe' {
            break
        }
        'cloudmaster;help;billing;cancel' {
            break
        }
        'cloudmaster;help;billing;payments' {
            break
        }
        'cloudmaster;help;billing;receipt' {
            break
        }
        'cloudmaster;help;billing;refund' {
            break
        }
        'cloudmaster;help;admin' {
            [CompletionResult]::new('users', 'users', [CompletionResultType]::ParameterValue, 'List accounts, change a role, suspend an account or lift its suspension')
            [CompletionResult]::new('revenue', 'revenue', [CompletionResultType]::ParameterValue, 'Revenue per day, course or plan, and currency, refunds netted')
            [CompletionResult]::new('coupons', 'coupons', [CompletionResultType]::ParameterValue, 'Create, list and disable coupons')
            break
        }
        'cloudmaster;help;admin;users' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every account, oldest first, with its role, tier and whether it is suspended')
            [CompletionResult]::new('role', 'role', [CompletionResultType]::ParameterValue, 'Change an account''s role (from its next request on)')
            [CompletionResult]::new('suspend', 'suspend', [CompletionResultType]::ParameterValue, 'Suspend an account: it cannot log in, its sessions, API tokens and SSH keys are refused, its TUI sessions over SSH end; nothing of it is deleted')
            [CompletionResult]::new('unsuspend', 'unsuspend', [CompletionResultType]::ParameterValue, 'Lift an account''s suspension: its sessions and tokens work again')
            [CompletionResult]::new('reset-password', 'reset-password', [CompletionResultType]::ParameterValue, 'Make a code that resets an account''s password (works once, for 30 minutes), to hand to its owner, who runs `cloudmaster password reset`; nothing is mailed')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export everything kept about an account as JSON, for its owner (a data access request)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Erase an account (a data erasure request): its sessions, tokens, keys, learning records, certificates and tutor conversations are deleted; its payments stay, against an anonymous account. Asks for confirmation (--yes)')
            break
        }
        'cloudmaster;help;admin;users;list' {
            break
        }
        'cloudmaster;help;admin;users;role' {
            break
        }
        'cloudmaster;help;admin;users;suspend' {
            break
        }
        'cloudmaster;help;admin;users;unsuspend' {
            break
        }
        'cloudmaster;help;admin;users;reset-password' {
            break
        }
        'cloudmaster;help;admin;users;export' {
            break
        }
        'cloudmaster;help;admin;users;delete' {
            break
        }
        'cloudmaster;help;admin;revenue' {
            break
        }
        'cloudmaster;help;admin;coupons' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a coupon')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every coupon')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable a coupon: no new checkout can use it')
            break
        }
        'cloudmaster;help;admin;coupons;create' {
            break
        }
        'cloudmaster;help;admin;coupons;list' {
            break
        }
        'cloudmaster;help;admin;coupons;disable' {
            break
        }
        'cloudmaster;help;config' {
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the path of config.toml (-o json: every path)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the settings in force and where each comes from')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set a key in config.toml: server, output, timeout_seconds, credentials (for the current profile), profiles.NAME.KEY, or default_profile')
            break
        }
        'cloudmaster;help;config;path' {
            break
        }
        'cloudmaster;help;config;show' {
            break
        }
        'cloudmaster;help;config;set' {
            break
        }
        'cloudmaster;help;doctor' {
            break
        }
        'cloudmaster;help;completions' {
            break
        }
        'cloudmaster;help;generate-docs' {
            break
        }
        'cloudmaster;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
