// Differential tests for maven: written with the maven module.
