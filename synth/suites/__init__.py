"""External eval suites built as gem-env toolkits and scenarios (`gem-env suite NAME`)."""
