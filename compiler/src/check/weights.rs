//! E0301: weights of a split must be whole percentages adding up to 100.

use crate::diag::Diagnostic;
use crate::ir::{Action, Mesh, Weight};

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for svc in super::services(mesh) {
        for r in &svc.routes {
            let Action::Forward(ds) = &r.action else { continue };
            if ds.len() < 2 {
                continue;
            }
            let span = ds[0].span.to(ds[ds.len() - 1].span);
            if let Some(d) = ds.iter().find(|d| d.weight.is_none()) {
                out.push(
                    Diagnostic::error("E0301", d.span, "a destination of a split has no weight")
                        .with_label("weight missing")
                        .with_help("give every destination a weight such as `10%`, or `rest` for what is left"),
                );
                continue;
            }
            let rests: Vec<_> = ds.iter().filter(|d| d.weight == Some(Weight::Rest)).collect();
            if rests.len() > 1 {
                out.push(
                    Diagnostic::error("E0301", rests[1].span, "only one destination can take the `rest`")
                        .with_label("second `rest`")
                        .with_secondary(rests[0].span, "first `rest`")
                        .with_help("give all but one destination an explicit percentage"),
                );
                continue;
            }
            let mut sum = 0.0;
            for d in ds {
                if let Some(Weight::Percent(p)) = d.weight {
                    if p.fract() != 0.0 {
                        out.push(
                            Diagnostic::error("E0301", d.span, format!("weight `{p}%` is not a whole percentage"))
                                .with_label("fractional weight")
                                .with_help("Istio weights are integers: use whole percentages"),
                        );
                    }
                    sum += p;
                }
            }
            let total = if rests.is_empty() { sum } else { 100.0 };
            if !rests.is_empty() && sum >= 100.0 {
                out.push(
                    Diagnostic::error(
                        "E0301",
                        rests[0].span,
                        format!("`rest` gets nothing: the other weights already add up to {sum}%"),
                    )
                    .with_label("empty `rest`")
                    .with_help("lower the other weights or remove this destination"),
                );
            } else if (total - 100.0).abs() > 1e-9 {
                out.push(
                    Diagnostic::error("E0301", span, format!("weights add up to {sum}%, not 100%"))
                        .with_label(format!("{sum}% in total"))
                        .with_help(if sum < 100.0 {
                            format!("make them add up to 100%, or write `rest` on one destination to take the remaining {}%", 100.0 - sum)
                        } else {
                            format!("lower them by {}% in total so they add up to 100%", sum - 100.0)
                        }),
                );
            }
        }
    }
}
