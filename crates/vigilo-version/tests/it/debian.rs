// Differential tests for debian: written with the debian module.
