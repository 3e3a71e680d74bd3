package dev.faaster.registry;

import io.micronaut.test.extensions.junit5.annotation.MicronautTest;

/** The router lease tables' contract on in-memory H2 in MySQL mode (application-test.yml). */
@MicronautTest(transactional = false)
class H2RouterLeaseRepositoryTest extends RouterLeaseRepositoryContract {}
