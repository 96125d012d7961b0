
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
            cand courses 'Browse the catalog'
            cand enroll 'Enroll in a course'
            cand unenroll 'Leave a course'
            cand progress 'Show your progress in every enrolled course, or in one'
            cand lesson 'Read lessons and record progress'
            cand course 'Author courses: scaffold, validate, list versions, roll back'
            cand publish 'Validate and publish a course or a catalog of courses'
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
            cand --listen 'Address to listen on'
            cand --database-url 'Database URL: `sqlite://PATH` or `postgres://...` [default: sqlite://<data-dir>/cloudmaster.db]'
            cand --data-dir 'Directory for the embedded database and other server data'
            cand --pool-size 'Maximum database connections of this replica'
            cand --log-format 'Log format'
            cand --max-body-bytes 'Largest accepted request body, except publishing'
            cand --max-publish-bytes 'Largest accepted course bundle (publish)'
            cand --rate-limit-free 'Requests per rate-limit window for free learners (0 = unlimited)'
            cand --rate-limit-premium 'Requests per window for premium learners (0 = unlimited)'
            cand --rate-limit-staff 'Requests per window for instructors and admins (0 = unlimited)'
            cand --rate-limit-anonymous 'Requests per window for unauthenticated clients, per IP address (0 = unlimited)'
            cand --rate-limit-window-secs 'Length of the fixed rate-limit window, in seconds'
            cand --catalog-cache-ms 'How long this replica serves the catalog from memory before re-reading it, in milliseconds. A publish through this replica shows at once; through another one within this time. 0 re-reads on every request'
            cand --auth-cache-ms 'How long this replica remembers a session user''s role and suspension and their enrollments, in milliseconds. Changes through another replica apply here within this time. 0 reads the database on every request'
            cand --shutdown-grace-secs 'Seconds to let in-flight requests finish after SIGINT/SIGTERM'
            cand --server 'Server URL [default: from the profile, else http://127.0.0.1:8080/]'
            cand --profile 'Configuration profile [default: default_profile in config.toml, else `default`]'
            cand -o 'Output format of commands that print data [default: from the profile, else table]'
            cand --output 'Output format of commands that print data [default: from the profile, else table]'
            cand --trust-forwarded-for 'Take the client address from the first `X-Forwarded-For` entry (only behind a trusted load balancer that sets it)'
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
            cand search 'Full-text search over titles, summaries and lesson text'
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
            cand search 'Full-text search over titles, summaries and lesson text'
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
            cand show 'Print a lesson''s Markdown (you must be enrolled)'
            cand start 'Record that you started a lesson'
            cand done 'Record that you completed a lesson'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;lesson;show'= {
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
            cand show 'Print a lesson''s Markdown (you must be enrolled)'
            cand start 'Record that you started a lesson'
            cand done 'Record that you completed a lesson'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;lesson;help;show'= {
        }
        &'cloudmaster;lesson;help;start'= {
        }
        &'cloudmaster;lesson;help;done'= {
        }
        &'cloudmaster;lesson;help;help'= {
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
            cand versions 'List the published versions of a course'
            cand rollback 'Publish an earlier version''s content again, as a new version'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'cloudmaster;course;help;new'= {
        }
        &'cloudmaster;course;help;validate'= {
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
            cand --quiet 'Print only the data asked for: no progress bars, notices or hints'
            cand --no-color 'Disable colour (also when NO_COLOR is set)'
            cand --yes 'Answer yes to confirmations (needed for them when stdin is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
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
            cand courses 'Browse the catalog'
            cand enroll 'Enroll in a course'
            cand unenroll 'Leave a course'
            cand progress 'Show your progress in every enrolled course, or in one'
            cand lesson 'Read lessons and record progress'
            cand course 'Author courses: scaffold, validate, list versions, roll back'
            cand publish 'Validate and publish a course or a catalog of courses'
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
        &'cloudmaster;help;courses'= {
            cand list 'List published courses, optionally filtered'
            cand search 'Full-text search over titles, summaries and lesson text'
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
        &'cloudmaster;help;lesson'= {
            cand show 'Print a lesson''s Markdown (you must be enrolled)'
            cand start 'Record that you started a lesson'
            cand done 'Record that you completed a lesson'
        }
        &'cloudmaster;help;lesson;show'= {
        }
        &'cloudmaster;help;lesson;start'= {
        }
        &'cloudmaster;help;lesson;done'= {
        }
        &'cloudmaster;help;course'= {
            cand new 'Scaffold a new course (a small valid course to start from)'
            cand validate 'Check a course or a catalog of courses; exits 1 when there are errors'
            cand versions 'List the published versions of a course'
            cand rollback 'Publish an earlier version''s content again, as a new version'
        }
        &'cloudmaster;help;course;new'= {
        }
        &'cloudmaster;help;course;validate'= {
        }
        &'cloudmaster;help;course;versions'= {
        }
        &'cloudmaster;help;course;rollback'= {
        }
        &'cloudmaster;help;publish'= {
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
