//! Does the Certification Readiness Index predict who passes? A simulation on a real course.
//!
//! ```text
//! cargo run --release -p cloudmaster-core --example readiness_sim -- --course courses/aws-saa
//! ```
//!
//! Options: `--seed N` (default 42), `--learners N` (2000), `--exam-questions N` (50),
//! `--oracle-exams N` (200), `--learning-gain G` (0.8, the most a learner's ability can grow
//! by practising); for sensitivity checks of the model, `--population-sd S` and
//! `--domain-sd T` override [`ReadinessConfig`]'s σ₀ and τ. The design is documented in `docs/readiness.md`; in short, each
//! simulated learner has a true ability per exam domain, answers a realistic, uneven amount
//! of practice (module quizzes and mock exams drawn by `assess::draw`, graded by
//! `assess::grade`) under an IRT model, then sits a held-out exam drawn per blueprint. The
//! readiness prediction and the naive baseline (fraction of practice answers correct) are
//! scored against the outcome with the Brier score, AUC and calibration bins.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use cloudmaster_core::assess::{
    BktParams, Graded, Mastery, ReadinessConfig, Response, draw_exam, draw_mock_exam, draw_quiz,
    grade, readiness, sub_seed,
};
use cloudmaster_core::course::{
    Course, Exam, Question, QuestionKind, Quiz, has_errors, load_course,
};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_distr::{Binomial, Distribution, Exp1, LogNormal, Normal};

/// Learning-curve time constant: answers in a domain until 63% of the gain is reached.
const LEARNING_TAU: f64 = 40.0;
/// Logistic scaling constant that makes the logistic close to the normal ogive.
const D: f64 = 1.7;

struct Args {
    course: PathBuf,
    seed: u64,
    learners: usize,
    exam_questions: u32,
    oracle_exams: usize,
    learning_gain: f64,
    config: ReadinessConfig,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        course: PathBuf::from("courses/aws-saa"),
        seed: 42,
        learners: 2000,
        exam_questions: 50,
        oracle_exams: 200,
        learning_gain: 0.8,
        config: ReadinessConfig::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| v.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        let real = |v: String| v.parse::<f64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--course" => args.course = PathBuf::from(value()?),
            "--seed" => args.seed = number(value()?)?,
            "--learners" => args.learners = number(value()?)? as usize,
            "--exam-questions" => args.exam_questions = number(value()?)? as u32,
            "--oracle-exams" => args.oracle_exams = number(value()?)? as usize,
            "--learning-gain" => args.learning_gain = real(value()?)?,
            "--population-sd" => args.config.population_sd = real(value()?)?,
            "--domain-sd" => args.config.domain_sd = real(value()?)?,
            "-h" | "--help" => {
                return Err(
                    "usage: readiness_sim [--course DIR] [--seed N] [--learners N] \
                     [--exam-questions N] [--oracle-exams N] [--learning-gain G] \
                     [--population-sd S] [--domain-sd T]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(args)
}

/// True item parameters (3PL) of one question, unknown to the readiness model.
struct Item {
    domain: usize,
    /// Discrimination.
    a: f64,
    /// Difficulty on the ability scale.
    b: f64,
    /// Lower asymptote: blind-guessing success.
    c: f64,
}

/// Author difficulty is a noisy indicator of true difficulty: b = 0.8 (difficulty − 3) + N(0, 0.5).
fn items(course: &Course, domains: &HashMap<&str, usize>, rng: &mut StdRng) -> Vec<Item> {
    let noise = Normal::new(0.0, 0.5).expect("valid normal");
    let disc = LogNormal::new(0.0, 0.3).expect("valid log-normal");
    course
        .questions
        .iter()
        .map(|q| Item {
            domain: q
                .domain
                .as_deref()
                .and_then(|d| domains.get(d))
                .copied()
                .unwrap_or(0),
            a: disc.sample(rng),
            b: 0.8 * (f64::from(q.difficulty) - 3.0) + noise.sample(rng),
            c: match &q.kind {
                QuestionKind::SingleChoice { options, .. } => 1.0 / options.len().max(2) as f64,
                QuestionKind::TrueFalse { .. } => 0.5,
                _ => 0.0,
            },
        })
        .collect()
}

struct Learner {
    /// Ability per domain at the start of practice.
    theta0: Vec<f64>,
    /// How much ability practice can add (per domain, on a learning curve).
    gain: f64,
    /// Answers given so far, per domain.
    practised: Vec<u32>,
}

impl Learner {
    fn theta(&self, domain: usize) -> f64 {
        let k = f64::from(self.practised[domain]);
        self.theta0[domain] + self.gain * (1.0 - (-k / LEARNING_TAU).exp())
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A simulated response: right with the 3PL probability; otherwise a plausible wrong answer,
/// with partial knowledge showing in multiple-response and ordering answers.
fn respond(q: &Question, item: &Item, theta: f64, rng: &mut StdRng) -> Response {
    let know = sigmoid(D * item.a * (theta - item.b));
    let right = rng.random::<f64>() < item.c + (1.0 - item.c) * know;
    match &q.kind {
        QuestionKind::SingleChoice { options, answer } => {
            let choice = if right {
                answer.clone()
            } else {
                let wrong: Vec<&String> = options
                    .iter()
                    .map(|o| &o.id)
                    .filter(|id| *id != answer)
                    .collect();
                (*wrong.choose(rng).expect("two options or more")).clone()
            };
            Response::SingleChoice { choice }
        }
        QuestionKind::TrueFalse { answer } => Response::TrueFalse {
            value: if right { *answer } else { !answer },
        },
        QuestionKind::Numeric { answer, tolerance } => {
            let value = if right {
                answer + tolerance * rng.random_range(-1.0..=1.0)
            } else {
                let off = tolerance + 1.0 + answer.abs() * rng.random_range(0.05..0.5);
                if rng.random::<bool>() {
                    answer + off
                } else {
                    answer - off
                }
            };
            Response::Numeric { value }
        }
        QuestionKind::ShortText { accept, .. } => {
            let text = match accept.choose(rng) {
                // Exercise normalization: shouting and stray spaces.
                Some(a) if right => format!("  {} ", a.to_uppercase()),
                _ => "no idea".to_owned(),
            };
            Response::ShortText { text }
        }
        QuestionKind::MultipleResponse { options, answer } => {
            let mut choices: Vec<String> = answer.clone();
            if !right {
                // Each right option kept, each wrong one avoided, with the partial knowledge.
                for _ in 0..20 {
                    choices = options
                        .iter()
                        .filter(|o| {
                            let keep = rng.random::<f64>() < 0.3 + 0.6 * know;
                            if answer.contains(&o.id) { keep } else { !keep }
                        })
                        .map(|o| o.id.clone())
                        .collect();
                    if !same_set(&choices, answer) {
                        break;
                    }
                }
                if same_set(&choices, answer) {
                    choices.pop();
                }
            }
            Response::MultipleResponse { choices }
        }
        QuestionKind::Ordering { answer, .. } => {
            let mut order = answer.clone();
            if !right && order.len() > 1 {
                // Fewer misplacements the more the learner knows.
                let swaps = 1 + (rng.random::<f64>() * 4.0 * (1.0 - know)) as usize;
                while order == *answer {
                    for _ in 0..swaps {
                        let i = rng.random_range(0..order.len() - 1);
                        order.swap(i, i + 1);
                    }
                }
            }
            Response::Ordering { order }
        }
    }
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

/// Grades a simulated response. Short-text questions with patterns but no accepted answer
/// cannot be answered "right" by a simulated learner, so those are graded by the coin.
fn answer(q: &Question, item: &Item, theta: f64, rng: &mut StdRng) -> Graded {
    if let QuestionKind::ShortText { accept, .. } = &q.kind
        && accept.is_empty()
    {
        let right = rng.random::<f64>() < sigmoid(D * item.a * (theta - item.b));
        let score = if right { 1.0 } else { 0.0 };
        return Graded {
            score,
            correct: right,
            reason: None,
        };
    }
    grade(q, &respond(q, item, theta, rng))
}

struct Sim<'a> {
    course: &'a Course,
    exam: &'a Exam,
    items: Vec<Item>,
    index: HashMap<&'a str, usize>,
    quizzes: Vec<&'a Quiz>,
    config: ReadinessConfig,
    exam_questions: u32,
    learning_gain: f64,
}

struct Outcome {
    predicted: f64,
    low: f64,
    high: f64,
    sufficient: bool,
    baseline: f64,
    /// Fraction correct compared with the pass mark (normal approximation).
    pass_mark_baseline: f64,
    passed: bool,
    oracle: f64,
    /// Mean score over the oracle exams: the learner's true expected exam score.
    oracle_score: f64,
    score_low: f64,
    score_high: f64,
    answers: u32,
}

impl Sim<'_> {
    fn exam_score(&self, learner: &Learner, rng: &mut StdRng) -> f64 {
        let draw = draw_exam(self.course, self.exam_questions, rng.random()).expect("exam draw");
        let mut total = 0.0;
        for id in draw.question_ids() {
            let i = self.index[id];
            let item = &self.items[i];
            total += answer(
                &self.course.questions[i],
                item,
                learner.theta(item.domain),
                rng,
            )
            .score;
        }
        total / draw.questions.len() as f64
    }

    fn learner(&self, seed: u64, oracle_exams: usize) -> Outcome {
        let mut rng = StdRng::seed_from_u64(seed);
        let domains = self.exam.domains.len();
        // Ability: a general level plus domain strengths and weaknesses.
        let general = Normal::new(0.0, 1.0)
            .expect("valid normal")
            .sample(&mut rng);
        let spread = Normal::new(0.0, 0.5).expect("valid normal");
        let mut learner = Learner {
            theta0: (0..domains)
                .map(|_| general + spread.sample(&mut rng))
                .collect(),
            gain: self.learning_gain * rng.random::<f64>(),
            practised: vec![0; domains],
        };
        // Practice: how far into the course the learner got, which modules they favour, and
        // how many sessions they did.
        let modules = self.quizzes.len();
        let reached = if modules == 0 {
            0
        } else {
            1 + Binomial::new((modules - 1) as u64, 0.6)
                .expect("valid binomial")
                .sample(&mut rng) as usize
        };
        let taste: Vec<f64> = (0..reached).map(|_| Exp1.sample(&mut rng)).collect();
        let sessions = 1
            + (LogNormal::new(4f64.ln(), 0.8)
                .expect("valid log-normal")
                .sample(&mut rng) as usize)
                .min(60);
        let params = BktParams::default();
        let mut mastery = Mastery::default();
        let (mut answers, mut score_sum) = (0u32, 0.0);
        for _ in 0..sessions {
            let mock =
                self.course.mock_exam.is_some() && (reached == 0 || rng.random::<f64>() < 0.15);
            let draw = if mock {
                draw_mock_exam(self.course, rng.random()).expect("mock exam draw")
            } else {
                let pick = weighted(&taste, &mut rng);
                draw_quiz(self.course, self.quizzes[pick], rng.random()).expect("quiz draw")
            };
            for id in draw.question_ids() {
                let i = self.index[id];
                let (q, item) = (&self.course.questions[i], &self.items[i]);
                let graded = answer(q, item, learner.theta(item.domain), &mut rng);
                mastery.record(&params, q, &graded);
                answers += 1;
                score_sum += graded.score;
                learner.practised[item.domain] += 1;
            }
        }
        let r = readiness(self.course, &mastery, &self.config).expect("the course has an exam");
        let pass_mark = f64::from(self.exam.pass_mark) / 100.0 - 1e-9;
        let passed = self.exam_score(&learner, &mut rng) >= pass_mark;
        let oracle_scores: Vec<f64> = (0..oracle_exams)
            .map(|_| self.exam_score(&learner, &mut rng))
            .collect();
        let runs = oracle_exams.max(1) as f64;
        let oracle = oracle_scores.iter().filter(|s| **s >= pass_mark).count() as f64 / runs;
        let oracle_score = oracle_scores.iter().sum::<f64>() / runs;
        Outcome {
            predicted: r.probability,
            low: r.low,
            high: r.high,
            sufficient: r.sufficient_evidence,
            baseline: if answers == 0 {
                0.5
            } else {
                score_sum / f64::from(answers)
            },
            pass_mark_baseline: against_pass_mark(
                score_sum,
                answers,
                pass_mark,
                self.exam_questions,
            ),
            passed,
            oracle,
            oracle_score,
            score_low: r.score_low,
            score_high: r.score_high,
            answers,
        }
    }
}

/// The stronger baseline: the practice score `p̂` taken as the exam score's mean, with the
/// sampling noise of the practice and of the exam, against the pass mark:
/// `Φ((p̂ − pass) / √(p̂(1 − p̂)(1/n + 1/N)))`. No blueprint weighting, no difficulty.
fn against_pass_mark(score_sum: f64, answers: u32, pass: f64, exam: u32) -> f64 {
    let n = f64::from(answers.max(1));
    let p = ((score_sum + 0.5) / (n + 1.0)).clamp(0.01, 0.99);
    let sd = (p * (1.0 - p) * (1.0 / n + 1.0 / f64::from(exam.max(1)))).sqrt();
    normal_cdf((p - pass) / sd)
}

fn normal_cdf(x: f64) -> f64 {
    // Abramowitz & Stegun 26.2.17 (absolute error below 7.5e-8).
    let t = 1.0 / (1.0 + 0.231_641_9 * x.abs());
    let poly = t
        * (0.319_381_530
            + t * (-0.356_563_782
                + t * (1.781_477_937 + t * (-1.821_255_978 + t * 1.330_274_429))));
    let tail = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt() * poly;
    if x >= 0.0 { 1.0 - tail } else { tail }
}

fn weighted(weights: &[f64], rng: &mut StdRng) -> usize {
    let mut x = rng.random::<f64>() * weights.iter().sum::<f64>();
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

fn brier(p: &[f64], y: &[bool]) -> f64 {
    p.iter()
        .zip(y)
        .map(|(p, y)| (p - if *y { 1.0 } else { 0.0 }).powi(2))
        .sum::<f64>()
        / p.len() as f64
}

/// AUC as the Mann–Whitney U statistic: (rank sum of positives − n₊(n₊+1)/2) / (n₊ n₋),
/// with average ranks for ties.
fn auc(p: &[f64], y: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut ranks = vec![0.0; p.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && p[order[j + 1]] == p[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for k in i..=j {
            ranks[order[k]] = rank;
        }
        i = j + 1;
    }
    let pos = y.iter().filter(|y| **y).count() as f64;
    let neg = y.len() as f64 - pos;
    let rank_sum: f64 = ranks
        .iter()
        .zip(y)
        .filter(|(_, y)| **y)
        .map(|(r, _)| r)
        .sum();
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

fn calibration(name: &str, p: &[f64], y: &[bool]) {
    println!("\nCalibration, {name} (10 bins of predicted probability):\n");
    println!("| predicted | learners | mean predicted | observed pass rate |");
    println!("|---|---:|---:|---:|");
    for bin in 0..10 {
        let (lo, hi) = (bin as f64 / 10.0, (bin + 1) as f64 / 10.0);
        let members: Vec<usize> = (0..p.len())
            .filter(|&i| p[i] >= lo && (p[i] < hi || (bin == 9 && p[i] <= 1.0)))
            .collect();
        if members.is_empty() {
            println!("| {lo:.1}–{hi:.1} | 0 | | |");
            continue;
        }
        let n = members.len() as f64;
        let mean = members.iter().map(|&i| p[i]).sum::<f64>() / n;
        let rate = members.iter().filter(|&&i| y[i]).count() as f64 / n;
        println!(
            "| {lo:.1}–{hi:.1} | {} | {mean:.3} | {rate:.3} |",
            members.len()
        );
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let (course, diagnostics) = match load_course(&args.course) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if has_errors(&diagnostics) {
        for d in diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!("{}: {}", d.location(), d.message);
        }
        return ExitCode::FAILURE;
    }
    let Some(exam) = course.exam.as_ref() else {
        eprintln!(
            "course `{}` has no exam blueprint: nothing to be ready for",
            course.id
        );
        return ExitCode::FAILURE;
    };
    let started = Instant::now();
    let domain_index: HashMap<&str, usize> = exam
        .domains
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let mut item_rng = StdRng::seed_from_u64(sub_seed(args.seed, "items"));
    let mut quizzes: Vec<&Quiz> = course
        .modules
        .iter()
        .filter_map(|m| m.quiz.as_ref())
        .collect();
    quizzes.retain(|q| course.eligible_questions(q).next().is_some());
    let sim = Sim {
        course: &course,
        exam,
        items: items(&course, &domain_index, &mut item_rng),
        index: course
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| (q.id.as_str(), i))
            .collect(),
        quizzes,
        config: ReadinessConfig {
            exam_questions: args.exam_questions,
            ..args.config.clone()
        },
        exam_questions: args.exam_questions,
        learning_gain: args.learning_gain,
    };
    let outcomes: Vec<Outcome> = (0..args.learners)
        .map(|i| {
            sim.learner(
                sub_seed(args.seed, &format!("learner-{i}")),
                args.oracle_exams,
            )
        })
        .collect();
    println!(
        "Course {} ({} questions), exam `{}`, pass mark {}%, held-out exam of {} questions",
        course.id,
        course.questions.len(),
        exam.name,
        exam.pass_mark,
        args.exam_questions
    );
    report(&args, &outcomes);
    eprintln!("\n({:.1} s)", started.elapsed().as_secs_f64());
    ExitCode::SUCCESS
}

fn report(args: &Args, outcomes: &[Outcome]) {
    let y: Vec<bool> = outcomes.iter().map(|o| o.passed).collect();
    let ours: Vec<f64> = outcomes.iter().map(|o| o.predicted).collect();
    let naive: Vec<f64> = outcomes.iter().map(|o| o.baseline).collect();
    let against: Vec<f64> = outcomes.iter().map(|o| o.pass_mark_baseline).collect();
    let oracle: Vec<f64> = outcomes.iter().map(|o| o.oracle).collect();
    let mut answers: Vec<u32> = outcomes.iter().map(|o| o.answers).collect();
    answers.sort_unstable();
    let n = outcomes.len() as f64;
    let pass_rate = y.iter().filter(|y| **y).count() as f64 / n;
    println!(
        "{} learners, seed {}, pass rate {pass_rate:.3}; practice answers per learner: \
         min {}, median {}, 90th percentile {}, max {}",
        args.learners,
        args.seed,
        answers[0],
        answers[answers.len() / 2],
        answers[answers.len() * 9 / 10],
        answers[answers.len() - 1]
    );
    println!(
        "mean predicted probability: readiness {:.3}, baseline {:.3}, stronger baseline {:.3}",
        ours.iter().sum::<f64>() / n,
        naive.iter().sum::<f64>() / n,
        against.iter().sum::<f64>() / n
    );
    let mut predictors = vec![
        ("readiness index", ours.clone()),
        ("baseline: fraction correct", naive.clone()),
        (
            "stronger baseline: fraction correct vs pass mark",
            against.clone(),
        ),
    ];
    let everyone: Vec<usize> = (0..outcomes.len()).collect();
    let sufficient: Vec<usize> = everyone
        .iter()
        .copied()
        .filter(|&i| outcomes[i].sufficient)
        .collect();
    println!("\nAll learners:\n");
    if args.oracle_exams > 0 {
        predictors.push(("reference: true pass probability", oracle));
    }
    scores(&predictors, &y, &everyone);
    if !sufficient.is_empty() && sufficient.len() < outcomes.len() {
        println!(
            "\nLearners the index reports as having sufficient evidence ({} of {}):\n",
            sufficient.len(),
            outcomes.len()
        );
        scores(&predictors, &y, &sufficient);
    }
    if args.oracle_exams > 0 {
        let covered =
            |lo: fn(&Outcome) -> f64, hi: fn(&Outcome) -> f64, truth: fn(&Outcome) -> f64| {
                outcomes
                    .iter()
                    .filter(|o| lo(o) <= truth(o) && truth(o) <= hi(o))
                    .count() as f64
                    / n
            };
        let width = |lo: fn(&Outcome) -> f64, hi: fn(&Outcome) -> f64| {
            outcomes.iter().map(|o| hi(o) - lo(o)).sum::<f64>() / n
        };
        println!(
            "\n80% bands against the truth (estimated from {} fresh exams per learner):\n",
            args.oracle_exams
        );
        println!("| band | contains the truth | mean width |");
        println!("|---|---:|---:|");
        println!(
            "| expected exam score `[score_low, score_high]` | {:.1}% | {:.3} |",
            100.0 * covered(|o| o.score_low, |o| o.score_high, |o| o.oracle_score),
            width(|o| o.score_low, |o| o.score_high)
        );
        println!(
            "| pass probability `[low, high]`, strictly | {:.1}% | {:.3} |",
            100.0 * covered(|o| o.low, |o| o.high, |o| o.oracle),
            width(|o| o.low, |o| o.high)
        );
        // The true pass probability is itself estimated from R exams: a learner who passed
        // 0 of 200 has a true probability somewhere in [0, 0.019], not exactly 0.
        let runs = args.oracle_exams as f64;
        let overlapping = outcomes
            .iter()
            .filter(|o| {
                let (lo, hi) = wilson(o.oracle, runs);
                o.low <= hi && lo <= o.high
            })
            .count() as f64
            / n;
        println!(
            "| pass probability `[low, high]`, against the truth's 95% Wilson interval | {:.1}% | |",
            100.0 * overlapping
        );
    }
    calibration("readiness index", &ours, &y);
    calibration("baseline: fraction correct", &naive, &y);
    calibration("stronger baseline", &against, &y);
}

/// The 95% Wilson score interval of a proportion `p` observed in `n` trials.
fn wilson(p: f64, n: f64) -> (f64, f64) {
    let z2 = 1.96f64 * 1.96;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = 1.96 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    (centre - half, centre + half)
}

fn scores(predictors: &[(&str, Vec<f64>)], y: &[bool], who: &[usize]) {
    let ys: Vec<bool> = who.iter().map(|&i| y[i]).collect();
    println!("| predictor | Brier (lower is better) | AUC (higher is better) |");
    println!("|---|---:|---:|");
    for (name, p) in predictors {
        let p: Vec<f64> = who.iter().map(|&i| p[i]).collect();
        println!("| {name} | {:.4} | {:.4} |", brier(&p, &ys), auc(&p, &ys));
    }
}
