"""Score analysis (CONTRACT "Score analysis", docs/score-analysis.md): does the score mean what it
says? Calibration, consistency between the people who measure, what each rule is worth, and the
ideal customer profile. Every figure is aggregated in the database through the reports alias;
Python only turns counts into rates and intervals (reports.stats)."""
