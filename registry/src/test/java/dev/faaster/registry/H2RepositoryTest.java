package dev.faaster.registry;

import io.micronaut.test.extensions.junit5.annotation.MicronautTest;

/** The repository contract on in-memory H2 in MySQL mode (application-test.yml). */
@MicronautTest(transactional = false)
class H2RepositoryTest extends RepositoryContract {}
