package dev.faaster.registry;

import io.micronaut.test.extensions.junit5.annotation.MicronautTest;

/** The scheduler tables' contract on in-memory H2 in MySQL mode (application-test.yml). */
@MicronautTest(transactional = false)
class H2SchedulerRepositoryTest extends SchedulerRepositoryContract {}
