package models

// QueueSQL exposes the queue's page and count queries, so that tests can read their plans.
func QueueSQL(v Viewer, f QueueFilter) (page, count string, args map[string]any) {
	page, count, args = queueSQL(v, f)
	args["limit"], args["offset"] = 25, 0
	return page, count, args
}

// QueueCountSQL is the badge's and dashboard's count, with its arguments for v.
func QueueCountSQL(v Viewer) (string, map[string]any) { return queueCountSQL, queueArgs(v) }
