from orchestration.lib.dashboard.app import main

main()
