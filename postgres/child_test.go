package postgres

const childEnv = "POSTGRES_TEST_CHILD"

func runChild() int { return 2 }
