package main

// vmdkops_admin.py policy create/ls/rm/update (esx_service/vsan_policy.py). vDVS keeps the policies
// in dockvols/policies/ of the host's vSAN datastore; the lab's datastores are not vSAN, so it answers
// as vDVS does on such a host: an empty list, and ERROR_NO_VSAN_DATASTORE for the others.

import "strings"

const errNoVsanDatastore = "Error: VSAN datastore does not exist" // vsan_policy.ERROR_NO_VSAN_DATASTORE

func policyCmd(words []string, a adminArgs) int {
	switch strings.Join(words, " ") {
	case "ls":
		// get_policies() is {} without a vSAN datastore: the headers only
		printList(a.outputFormat, []string{"Policy Name", "Policy Content", "Active"}, nil)
		return 0
	case "create", "rm", "update":
		return errOut(errNoVsanDatastore)
	}
	return usage("policy " + strings.Join(words, " "))
}
