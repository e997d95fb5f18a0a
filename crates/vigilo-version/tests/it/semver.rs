// Differential tests for semver: written with the semver module.
