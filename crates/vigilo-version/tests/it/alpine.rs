// Differential tests for alpine: written with the alpine module.
