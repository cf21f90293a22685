use super::*;

fn sma_space() -> SearchSpace {
    SearchSpace::predefined("sma").unwrap()
}

/// A smooth objective with one peak inside the SMA space, at fast 17, slow 120.
fn bowl(params: &Map<String, Value>) -> f64 {
    let fast = params["fast_period"].as_f64().unwrap();
    let slow = params["slow_period"].as_f64().unwrap();
    -((fast - 17.0).powi(2) + (slow - 120.0).powi(2) / 10.0)
}

/// The best objective after `budget` evaluations, asking `batch` at a time.
fn best_after(sampler: Sampler, seed: u64, budget: usize, batch: usize) -> f64 {
    let space = sma_space();
    let mut trials: Vec<Trial> = Vec::new();
    while trials.len() < budget {
        let next = suggest(&space, &trials, batch.min(budget - trials.len()), seed, sampler);
        assert!(!next.is_empty());
        trials.extend(next.into_iter().map(|params| Trial {
            value: bowl(&params),
            params,
        }));
    }
    trials.iter().map(|t| t.value).fold(f64::NEG_INFINITY, f64::max)
}

#[test]
fn suggestions_are_valid_new_and_distinct() {
    let space = sma_space();
    let mut trials = Vec::new();
    for round in 0..6 {
        let next = suggest(&space, &trials, 8, 7, Sampler::Tpe);
        assert_eq!(next.len(), 8, "round {round}");
        let keys: HashSet<String> = next.iter().map(params_key).collect();
        assert_eq!(keys.len(), 8, "distinct within a batch");
        for params in next {
            assert!(space.validate(&params).is_ok(), "{params:?}");
            assert!(
                !trials.iter().any(|t: &Trial| t.params == params),
                "already tried: {params:?}"
            );
            trials.push(Trial {
                value: bowl(&params),
                params,
            });
        }
    }
}

#[test]
fn the_same_seed_and_history_give_the_same_suggestions() {
    let space = sma_space();
    let history: Vec<Trial> = suggest(&space, &[], 20, 1, Sampler::Random)
        .into_iter()
        .map(|params| Trial {
            value: bowl(&params),
            params,
        })
        .collect();
    let a = suggest(&space, &history, 5, 42, Sampler::Tpe);
    assert_eq!(a, suggest(&space, &history, 5, 42, Sampler::Tpe));
    assert_ne!(a, suggest(&space, &history, 5, 43, Sampler::Tpe));
}

#[test]
fn a_small_space_is_exhausted_not_repeated() {
    let grid: crate::search::ParamGrid = serde_yaml_ng::from_str("fast_period: [2, 3]\nslow_period: [3, 4]").unwrap();
    let space = SearchSpace::from_grid("sma", &grid).unwrap();
    // valid and distinct: (2,3), (2,4), (3,4); (3,3) breaks fast < slow
    let all = suggest(&space, &[], 10, 0, Sampler::Random);
    assert_eq!(all.len(), 3);
    let trials: Vec<Trial> = all.into_iter().map(|params| Trial { params, value: 0.0 }).collect();
    assert!(suggest(&space, &trials, 1, 0, Sampler::Tpe).is_empty());
}

#[test]
fn tpe_finds_better_configs_than_random_search_on_the_same_budget() {
    let seeds = 0..8u64;
    let mean = |sampler| seeds.clone().map(|s| best_after(sampler, s, 60, 4)).sum::<f64>() / 8.0;
    let (tpe, random) = (mean(Sampler::Tpe), mean(Sampler::Random));
    assert!(tpe > random, "tpe {tpe} vs random {random}");
}

#[test]
fn trials_outside_the_space_count_as_tried_but_teach_nothing() {
    let space = sma_space();
    let mut outside = space.fixed.clone();
    outside.insert("fast_period".into(), Value::from(300));
    outside.insert("slow_period".into(), Value::from(400));
    let trials = vec![Trial {
        params: outside,
        value: 9.0,
    }];
    let next = suggest(&space, &trials, 3, 0, Sampler::Tpe);
    assert_eq!(next.len(), 3);
    assert!(next.iter().all(|p| p["fast_period"].as_i64().unwrap() <= 50));
}

#[test]
fn objectives_point_upwards() {
    let mut m = Metrics {
        total_return: 0.1,
        total_return_pct: 10.0,
        annualized_return: 0.2,
        sharpe_ratio: 1.5,
        max_drawdown: 0.3,
        total_trades: 4,
        winning_trades: 2,
        losing_trades: 2,
        win_rate: 0.5,
        profit_factor: None,
        avg_win: 1.0,
        avg_loss: -1.0,
        final_equity: 11_000.0,
        ..Metrics::default()
    };
    assert_eq!(objective(&m, Metric::SharpeRatio), 1.5);
    assert_eq!(objective(&m, Metric::MaxDrawdown), -0.3);
    m.sharpe_ratio = f64::NAN;
    assert_eq!(objective(&m, Metric::SharpeRatio), f64::NEG_INFINITY);
    // A report metric the spec leaves null never wins.
    assert_eq!(objective(&m, Metric::SortinoRatio), f64::NEG_INFINITY);
}

/// The loop as a face drives it: next, evaluate and store (here: push), observe.
fn drive(
    optimizer: &mut OptimizerLoop,
    history: &mut Vec<Trial>,
    objective: impl Fn(&Map<String, Value>) -> f64,
    iterations: usize,
) -> Vec<Step> {
    let mut steps = Vec::new();
    for _ in 0..iterations {
        let next = optimizer.next(history, Vec::new());
        if next.is_empty() {
            break;
        }
        history.extend(next.into_iter().map(|params| Trial {
            value: objective(&params),
            params,
        }));
        let step = optimizer.observe(history);
        steps.push(step);
        if step.converged {
            break;
        }
    }
    steps
}

#[test]
fn the_loop_converges_once_the_best_stops_improving_for_its_patience() {
    // A flat objective: nothing ever improves on the first iteration's best.
    let mut optimizer = OptimizerLoop::new(sma_space(), Metric::SharpeRatio, Sampler::Tpe, 3, 4, 1e-3, 3, &[]);
    let mut history = Vec::new();
    let steps = drive(&mut optimizer, &mut history, |_| 1.0, 50);
    assert_eq!(steps.len(), 4, "the first sets the best, three stale ones end it");
    assert_eq!(steps[0].gain, None);
    assert!(steps[1..].iter().all(|s| s.gain == Some(0.0)));
    assert_eq!(
        steps.iter().map(|s| s.converged).collect::<Vec<_>>(),
        [false, false, false, true]
    );
    assert_eq!(steps[3].evaluated, 16);
    assert_eq!(optimizer.trajectory(), steps.as_slice());

    // On the bowl the best keeps rising for a while: no early convergence, and the
    // trajectory never falls.
    let mut optimizer = OptimizerLoop::new(sma_space(), Metric::SharpeRatio, Sampler::Tpe, 3, 4, 1e-3, 3, &[]);
    let mut history = Vec::new();
    let steps = drive(&mut optimizer, &mut history, bowl, 6);
    assert!(steps.len() >= 4, "{steps:?}");
    assert!(steps.windows(2).all(|w| w[1].best >= w[0].best));
}

#[test]
fn the_loop_reports_a_drawdown_target_in_its_own_sign_and_tops_up_a_proposer() {
    let mut optimizer = OptimizerLoop::new(sma_space(), Metric::MaxDrawdown, Sampler::Random, 1, 3, 0.0, 2, &[]);
    let proposed = vec![serde_json::from_str(r#"{"fast_period": 10, "slow_period": 50}"#).unwrap()];
    let next = optimizer.next(&[], proposed.clone());
    assert_eq!(next.len(), 3, "one proposed, two sampled");
    assert_eq!(next[0], proposed[0]);
    // Trials hold the objective (higher is better), i.e. minus the drawdown.
    let history: Vec<Trial> = next
        .into_iter()
        .zip([-0.3, -0.2, -0.25])
        .map(|(params, value)| Trial { params, value })
        .collect();
    let step = optimizer.observe(&history);
    assert_eq!(step.best, 0.2, "the smallest drawdown, as a drawdown");
}

#[test]
fn samplers_are_named_and_an_unknown_name_is_refused() {
    assert_eq!("tpe".parse::<Sampler>().unwrap(), Sampler::Tpe);
    assert_eq!("random".parse::<Sampler>().unwrap(), Sampler::Random);
    let err = "optuna".parse::<Sampler>().unwrap_err().to_string();
    assert_eq!(err, "config field `sampler`: must be `tpe` or `random`, not `optuna`");
}

#[test]
fn an_order_field_is_a_dimension_and_its_points_become_configs() {
    let grid: crate::search::ParamGrid = serde_yaml_ng::from_str(
        "fast_period: [5, 20]\nslow_period: [30, 60]\nstop_loss.pct: {type: float, min: 0.01, max: 0.05}\nmax_bars: [4, 12]",
    )
    .unwrap();
    let template: crate::BacktestConfig = serde_json::from_value(serde_json::json!({
        "symbol": "DEMO-BTC", "timeframe": "1h", "start": "2024-01-01", "end": "2024-03-01",
        "strategy": "sma", "params": {}, "take_profit": {"rr": 2}}))
    .unwrap();
    let space = SearchSpace::from_grid("sma", &grid)
        .unwrap()
        .fixing_orders_of(&template);
    let names: Vec<&str> = space.dimensions.iter().map(Dimension::name).collect();
    assert_eq!(names, ["fast_period", "slow_period", "max_bars", "stop_loss.pct"]);
    assert!(matches!(space.dimensions[2], Dimension::Int { low: 4, high: 12, .. }));
    assert_eq!(
        space.fixed["take_profit.rr"], 2.0,
        "the template's own order field is held"
    );

    let points = suggest(&space, &[], 12, 5, Sampler::Random);
    assert_eq!(points.len(), 12);
    for point in &points {
        let config = space.config(&template, point).unwrap();
        let stop = config.orders.stop_loss.unwrap().pct.unwrap();
        assert!((0.01..=0.05).contains(&stop), "{point:?}");
        assert!((4..=12).contains(&config.orders.max_bars.unwrap()));
        assert_eq!(config.orders.take_profit.unwrap().rr, Some(2.0));
        assert!(
            !config.params.contains_key("stop_loss.pct"),
            "order fields leave the params"
        );
        // What the store gives back is the same point: a tried config is known as tried.
        assert_eq!(&point_of_config(&config), point);
    }
    // A point whose order fields do not hold together is refused, naming the field.
    let mut bad = points[0].clone();
    bad.insert("stop_loss.pct".into(), Value::from(0.0));
    let err = space.validate(&bad).unwrap_err().to_string();
    assert!(err.contains("stop_loss"), "{err}");
    let grid: crate::search::ParamGrid = serde_yaml_ng::from_str("stop_loss.percent: [0.01, 0.02]").unwrap();
    let err = SearchSpace::from_grid("sma", &grid).unwrap_err().to_string();
    assert!(err.contains("stop_loss.percent"), "{err}");
}
